package io.dydet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    private static final String GOLDEN = "/golden/dy-yolov7-w025.safetensors";

    @TempDir
    Path tmp;

    // ---- golden file ----

    @Test
    void goldenHeaderHasAllEntriesInOrder() throws Exception {
        try (SafeTensorsFile f = SafeTensors.open(golden())) {
            List<TensorEntry> entries = f.entries();
            assertEquals(1146, entries.size());
            TensorEntry first = entries.get(0);
            assertEquals("router.layer1.weight", first.name());
            assertEquals("F16", first.dtype());
            assertArrayEquals(new long[] {180, 720, 1, 1}, first.shape());
            assertEquals(new Shape(180, 720, 1, 1), first.djlShape());
            assertEquals(DataType.FLOAT16, first.dataType());
            assertEquals(0, first.begin());
            assertEquals(259200, first.end());
            assertEquals("router.layer1.bias", entries.get(1).name());
            assertEquals(
                    "model_h2.54.im.2.implicit", entries.get(entries.size() - 1).name());
            assertEquals("pt", f.metadata().get("format"));
            assertEquals(f.entry("router.layer1.weight").orElseThrow(), first);
            assertTrue(f.entry("no.such.tensor").isEmpty());
            Map<String, Long> dtypes =
                    entries.stream().collect(Collectors.groupingBy(TensorEntry::dtype, Collectors.counting()));
            assertEquals(Map.of("F16", 962L, "I64", 184L), dtypes);
        }
    }

    @Test
    void goldenNumBatchesTrackedIsZeroDimI64() throws Exception {
        try (SafeTensorsFile f = SafeTensors.open(golden());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            TensorEntry e = f.entry("model_b.0.bn.num_batches_tracked").orElseThrow();
            assertEquals("I64", e.dtype());
            assertEquals(0, e.shape().length);
            assertEquals(1, e.numel());
            assertEquals(8, e.byteLength());
            NDArray a = f.read(m, e.name());
            assertEquals(DataType.INT64, a.getDataType());
            assertEquals(new Shape(), a.getShape());
            assertEquals(22L, a.getLong());
            assertEquals(e.name(), a.getName());
            NDArray same = f.readAsFloat32(m, e.name()); // integers stay integers
            assertEquals(DataType.INT64, same.getDataType());
            assertEquals(22L, same.getLong());
        }
    }

    @Test
    void goldenF16ReadAsFloat32MatchesJavaSideDecoding() throws Exception {
        Path golden = golden();
        try (SafeTensorsFile f = SafeTensors.open(golden);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            TensorEntry e = f.entry("router.layer1.weight").orElseThrow();
            NDArray half = f.read(m, e.name());
            assertEquals(DataType.FLOAT16, half.getDataType());
            NDArray single = f.readAsFloat32(m, e.name());
            assertEquals(DataType.FLOAT32, single.getDataType());
            assertEquals(new Shape(180, 720, 1, 1), single.getShape());
            assertEquals(e.name(), single.getName());

            float[] got = single.toFloatArray();
            assertEquals(180 * 720, got.length);
            ByteBuffer raw = rawData(golden, e);
            for (int i = 0; i < got.length; i++) {
                float want = halfToFloat(raw.getShort(2 * i));
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]), "element " + i);
            }
            // values checked independently with numpy
            assertEquals(-0.0002789497375488281f, got[0]);
            assertEquals(0.019989013671875f, got[1]);
            assertEquals(-0.030670166015625f, got[2]);
            assertEquals(0.0295562744140625f, got[7]);
        }
    }

    @Test
    void goldenReadAllKeepsOrderAndConvertsOnlyFloats() throws Exception {
        try (SafeTensorsFile f = SafeTensors.open(golden());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            LinkedHashMap<String, NDArray> all = f.readAll(m, true);
            assertEquals(f.entries().stream().map(TensorEntry::name).toList(), List.copyOf(all.keySet()));
            for (TensorEntry e : f.entries()) {
                NDArray a = all.get(e.name());
                assertEquals(e.dtype().equals("I64") ? DataType.INT64 : DataType.FLOAT32, a.getDataType(), e.name());
                assertEquals(e.djlShape(), a.getShape(), e.name());
            }
            LinkedHashMap<String, NDArray> stored = f.readAll(m, false);
            assertEquals(DataType.FLOAT16, stored.get("router.layer1.weight").getDataType());
        }
    }

    // ---- round trip ----

    @Test
    void djlCreatesZeroDimAndZeroSizeArraysFromBuffers() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ByteBuffer one =
                    ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 42L);
            NDArray scalar = m.create(one, new Shape(), DataType.INT64);
            assertEquals(new Shape(), scalar.getShape());
            assertEquals(42L, scalar.getLong());
            NDArray empty = m.create(ByteBuffer.allocateDirect(0), new Shape(0, 6), DataType.FLOAT32);
            assertEquals(new Shape(0, 6), empty.getShape());
            assertEquals(0, empty.toFloatArray().length);
        }
    }

    @Test
    void roundTripKeepsNamesOrderDtypesValuesAndMetadata() throws Exception {
        Path file = tmp.resolve("rt.safetensors");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            LinkedHashMap<String, NDArray> in = new LinkedHashMap<>();
            in.put("z.f32", m.create(new float[] {1.5f, -2.25f, 3e-8f, Float.MAX_VALUE, -0f, 7f}, new Shape(2, 3)));
            in.put(
                    "a.f16",
                    m.create(new float[] {0.5f, -1f, 65504f, 0.0001f}, new Shape(4))
                            .toType(DataType.FLOAT16, false));
            in.put("m.i64", m.create(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, new Shape(2, 2)));
            in.put("b.u8", u8(m, new byte[] {0, 1, 127, (byte) 128, (byte) 200, (byte) 255}, new Shape(3, 2)));
            in.put("empty", m.create(new float[0], new Shape(0, 6)));
            in.put(
                    "scalar",
                    m.create(
                            ByteBuffer.allocateDirect(8)
                                    .order(ByteOrder.LITTLE_ENDIAN)
                                    .putLong(0, 22L),
                            new Shape(),
                            DataType.INT64));
            in.put("i32", m.create(new int[] {-7, 8, 9}, new Shape(3)));
            in.put("f64", m.create(new double[] {Math.PI, -Math.E}, new Shape(1, 2)));
            in.put("i8", m.create(new byte[] {-128, 5, 127}, new Shape(3)));
            in.put("bool", m.create(new boolean[] {true, false, true}, new Shape(3)));
            in.put("u8.odd", u8(m, new byte[] {9}, new Shape(1))); // misaligns what follows; reads must not care
            in.put("f32.after.odd", m.create(new float[] {4f, 5f}, new Shape(2)));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("note", "ünïcödé, \"quoted\"");

            SafeTensors.write(file, in, meta);

            // header padded with spaces to a multiple of 8, offsets cover the data exactly
            long n = headerLength(file);
            assertEquals(0, n % 8);
            String header = headerText(file);
            assertTrue(header.startsWith("{"));
            assertTrue(header.stripTrailing().endsWith("}"));
            assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));

            try (SafeTensorsFile f = SafeTensors.open(file)) {
                assertEquals(
                        List.copyOf(in.keySet()),
                        f.entries().stream().map(TensorEntry::name).toList());
                assertEquals(meta, f.metadata());
                assertEquals(
                        List.copyOf(meta.keySet()), List.copyOf(f.metadata().keySet()));
                long lastEnd =
                        f.entries().stream().mapToLong(TensorEntry::end).max().orElseThrow();
                assertEquals(Files.size(file), 8 + n + lastEnd);

                Map<String, String> dtypes = new LinkedHashMap<>();
                f.entries().forEach(e -> dtypes.put(e.name(), e.dtype()));
                assertEquals("F32", dtypes.get("z.f32"));
                assertEquals("F16", dtypes.get("a.f16"));
                assertEquals("I64", dtypes.get("m.i64"));
                assertEquals("U8", dtypes.get("b.u8"));
                assertEquals("F32", dtypes.get("empty"));
                assertEquals("I64", dtypes.get("scalar"));
                assertEquals("I32", dtypes.get("i32"));
                assertEquals("F64", dtypes.get("f64"));
                assertEquals("I8", dtypes.get("i8"));
                assertEquals("BOOL", dtypes.get("bool"));
                assertArrayEquals(
                        new long[] {0, 6}, f.entry("empty").orElseThrow().shape());
                assertArrayEquals(new long[0], f.entry("scalar").orElseThrow().shape());
                assertEquals(
                        f.entry("empty").orElseThrow().begin(),
                        f.entry("empty").orElseThrow().end());

                LinkedHashMap<String, NDArray> out = f.readAll(m, false);
                assertEquals(List.copyOf(in.keySet()), List.copyOf(out.keySet()));
                for (String name : in.keySet()) {
                    NDArray a = in.get(name);
                    NDArray b = out.get(name);
                    assertEquals(name, b.getName());
                    assertEquals(a.getDataType(), b.getDataType(), name);
                    assertEquals(a.getShape(), b.getShape(), name);
                    assertArrayEquals(bytes(a), bytes(b), name);
                }
                assertEquals(22L, out.get("scalar").getLong());
                assertArrayEquals(
                        new float[] {0.5f, -1f, 65504f, halfToFloat((short) 0x068e)},
                        f.readAsFloat32(m, "a.f16").toFloatArray());
                assertArrayEquals(
                        new double[] {Math.PI, -Math.E}, out.get("f64").toDoubleArray());
                assertArrayEquals(
                        new float[] {(float) Math.PI, (float) -Math.E},
                        f.readAsFloat32(m, "f64").toFloatArray());
                assertArrayEquals(
                        new boolean[] {true, false, true}, out.get("bool").toBooleanArray());
                assertArrayEquals(new float[] {4f, 5f}, out.get("f32.after.odd").toFloatArray());
            }
        }
    }

    @Test
    void u8IsUnsignedEndToEnd() throws Exception {
        Path file = tmp.resolve("u8.safetensors");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            SafeTensors.write(file, Map.of("img", u8(m, new byte[] {(byte) 200, (byte) 255, 3}, new Shape(3))), null);
            try (SafeTensorsFile f = SafeTensors.open(file)) {
                NDArray a = f.readAsFloat32(m, "img");
                assertEquals(DataType.UINT8, a.getDataType());
                assertArrayEquals(
                        new float[] {200f, 255f, 3f},
                        a.toType(DataType.FLOAT32, false).toFloatArray());
                assertTrue(f.metadata().isEmpty());
            }
            assertFalse(headerText(file).contains("__metadata__"));
        }
    }

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTempFile() throws Exception {
        Path file = tmp.resolve("w.safetensors");
        Files.writeString(file, "old contents");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            SafeTensors.write(file, Map.of("x", m.create(new float[] {1f}, new Shape(1))), Map.of());
        }
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            assertEquals(1, f.entries().size());
        }
        assertEquals(List.of(file), listDir());
    }

    @Test
    void failedWriteLeavesNoTempFileAndKeepsTheTarget() throws Exception {
        Path file = tmp.resolve("keep.safetensors");
        byte[] old = "previous contents".getBytes(StandardCharsets.UTF_8);
        Files.write(file, old);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray good = m.create(new float[] {1f, 2f}, new Shape(2));
            NDArray closed = m.create(new float[] {3f, 4f}, new Shape(2));
            // shape and type are cached, the data is gone: the failure comes after the header was written
            closed.getShape();
            closed.getDataType();
            closed.close();
            LinkedHashMap<String, NDArray> in = new LinkedHashMap<>();
            in.put("good", good);
            in.put("closed", closed);
            WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.write(file, in, Map.of()));
            assertTrue(e.getMessage().contains("'closed'"), e.getMessage());
            assertTrue(e.getMessage().contains("cannot get the data"), e.getMessage());
            assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), e.getMessage());
        }
        assertArrayEquals(old, Files.readAllBytes(file));
        assertEquals(List.of(file), listDir());
    }

    @Test
    void writeRejectsTheReservedMetadataKey() throws Exception {
        Path file = tmp.resolve("reserved.safetensors");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            WeightsException e = assertThrows(
                    WeightsException.class,
                    () -> SafeTensors.write(
                            file, Map.of("__metadata__", m.create(new float[] {1f}, new Shape(1))), Map.of()));
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        }
        assertEquals(List.of(), listDir());
    }

    @Test
    void dtypeMappingIsBijectiveOnTheSupportedTypes() {
        for (String dtype : SafeTensors.DTYPES) {
            assertEquals(dtype, SafeTensors.dtypeName(SafeTensors.dataType(dtype)));
        }
        assertEquals(DataType.UINT8, SafeTensors.dataType("U8"));
        assertEquals(DataType.INT8, SafeTensors.dataType("I8"));
        assertEquals(DataType.BOOLEAN, SafeTensors.dataType("BOOL"));
        assertEquals(null, SafeTensors.dataType("BF16"));
        assertEquals(null, SafeTensors.dtypeName(DataType.INT16));
        assertEquals(null, SafeTensors.dtypeName(DataType.BFLOAT16));
    }

    @Test
    void readingAMissingTensorOrAClosedFileFails() throws Exception {
        Path file = writeRaw(
                "ok.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        SafeTensorsFile f = SafeTensors.open(file);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            WeightsException e = assertThrows(WeightsException.class, () -> f.read(m, "y"));
            assertMessage(e, file, "'y'", "not found");
            assertEquals(0f, f.read(m, "x").getFloat());
            f.close();
            assertThrows(IllegalStateException.class, () -> f.read(m, "x"));
        }
    }

    @Test
    void halfDecoderOfTheTestIsRight() {
        assertEquals(1f, halfToFloat((short) 0x3c00));
        assertEquals(-2f, halfToFloat((short) 0xc000));
        assertEquals(65504f, halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, halfToFloat((short) 0x0001));
        assertEquals(0x1p-14f, halfToFloat((short) 0x0400));
        assertEquals(Float.NEGATIVE_INFINITY, halfToFloat((short) 0xfc00));
        assertTrue(Float.isNaN(halfToFloat((short) 0x7e00)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(halfToFloat((short) 0x8000)));
    }

    // ---- bad input: each must name the file and the problem ----

    @Test
    void truncatedGoldenFileNamesTheTensorOutsideTheData() throws Exception {
        Path half = tmp.resolve("half.safetensors");
        try (FileChannel in = FileChannel.open(golden(), StandardOpenOption.READ);
                FileChannel out = FileChannel.open(half, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long size = in.size() / 2;
            long done = 0;
            while (done < size) {
                done += in.transferTo(done, size - done, out);
            }
        }
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(half));
        // the first tensor in header order whose data lies past the cut (checked with Python)
        assertMessage(e, half, "tensor 'model_h.12.conv.weight'", "end beyond the data section", "file truncated?");
    }

    @Test
    void offsetsOutsideTheFile() throws Exception {
        Path file = writeRaw(
                "outside.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                new byte[12]);
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file));
        assertMessage(e, file, "tensor 'b'", "data_offsets [8, 16] end beyond the data section of 12 bytes");
    }

    @Test
    void headerLengthBiggerThanTheFile() throws Exception {
        Path file = tmp.resolve("biglen.safetensors");
        ByteBuffer b =
                ByteBuffer.allocate(8 + 16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        Files.write(file, b.array());
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file));
        assertMessage(e, file, "header length 1000", "exceeds the file size of 24 bytes");
    }

    @Test
    void absurdHeaderLength() throws Exception {
        Path file = tmp.resolve("absurd.safetensors");
        Files.write(
                file,
                ByteBuffer.allocate(16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(-1L)
                        .array());
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file));
        assertMessage(e, file, "header length 18446744073709551615", "absurd");
    }

    @Test
    void invalidJson() throws Exception {
        Path file = writeRaw("json.safetensors", "{\"a\": {\"dtype\": \"F32\", ", new byte[0]);
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file));
        assertMessage(e, file, "invalid JSON header");
    }

    @Test
    void trailingGarbageAndDuplicateKeysAreInvalidJson() throws Exception {
        Path trailing = writeRaw("trailing.safetensors", "{} {}", new byte[0]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(trailing)),
                trailing,
                "invalid JSON header");
        String entry = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
        Path dup = writeRaw("dup.safetensors", "{\"a\":" + entry + ",\"a\":" + entry + "}", new byte[1]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(dup)),
                dup,
                "invalid JSON header",
                "Duplicate field 'a'");
    }

    @Test
    void headerThatIsNotAnObject() throws Exception {
        Path file = writeRaw("array.safetensors", "[1, 2]", new byte[0]);
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file));
        assertMessage(e, file, "not a JSON object");
    }

    @Test
    void unknownDtype() throws Exception {
        Path file = writeRaw(
                "dtype.safetensors", "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]);
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file));
        assertMessage(e, file, "tensor 'w'", "unknown dtype 'BF16'");
    }

    @Test
    void byteLengthNotMatchingTheShape() throws Exception {
        Path file = writeRaw(
                "len.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[24]);
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file));
        assertMessage(e, file, "tensor 'w'", "span 20 bytes", "shape [2, 3] of F32 needs 24 bytes");
    }

    @Test
    void fileShorterThanEightBytes() throws Exception {
        Path file = tmp.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file));
        assertMessage(e, file, "3 bytes", "shorter than the 8-byte header length");
    }

    @Test
    void missingOrIllTypedFields() throws Exception {
        Path noShape =
                writeRaw("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(noShape)),
                noShape,
                "tensor 'w'",
                "missing field 'shape'");
        Path noDtype = writeRaw("nodtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(noDtype)),
                noDtype,
                "tensor 'w'",
                "missing field 'dtype'");
        Path floatDim = writeRaw(
                "floatdim.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
                new byte[4]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(floatDim)),
                floatDim,
                "tensor 'w'",
                "ill-typed field 'shape'");
        Path oneOffset = writeRaw(
                "oneoffset.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", new byte[4]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(oneOffset)),
                oneOffset,
                "tensor 'w'",
                "ill-typed field 'data_offsets'");
        Path notObject = writeRaw("notobject.safetensors", "{\"w\": 3}", new byte[0]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(notObject)),
                notObject,
                "tensor 'w'",
                "not a JSON object");
        Path badMeta = writeRaw("badmeta.safetensors", "{\"__metadata__\":{\"k\":1}}", new byte[0]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(badMeta)),
                badMeta,
                "__metadata__",
                "'k'",
                "not a string");
    }

    @Test
    void negativeDimensionAndReversedOffsets() throws Exception {
        Path neg = writeRaw(
                "neg.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[0,0]}}", new byte[0]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(neg)),
                neg,
                "tensor 'w'",
                "negative dimension");
        Path rev = writeRaw(
                "rev.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(rev)),
                rev,
                "tensor 'w'",
                "data_offsets [8, 4]",
                "begin <= end");
        Path huge = writeRaw(
                "huge.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}",
                new byte[4]);
        assertMessage(
                assertThrows(WeightsException.class, () -> SafeTensors.open(huge)), huge, "tensor 'w'", "too large");
    }

    @Test
    void missingFile() {
        Path file = tmp.resolve("nope.safetensors");
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file));
        assertMessage(e, file, "no such file");
    }

    // ---- helpers ----

    private static Path golden() throws URISyntaxException {
        URL url = SafeTensorsTest.class.getResource(GOLDEN);
        assertNotNull(url, "test resource " + GOLDEN + " is missing (copy it from the shared golden directory)");
        return Path.of(url.toURI());
    }

    private static void assertMessage(Exception e, Path file, String... parts) {
        String msg = e.getMessage();
        assertTrue(msg.contains(file.toString()), "message should name " + file + ": " + msg);
        for (String part : parts) {
            assertTrue(msg.contains(part), "message should contain \"" + part + "\": " + msg);
        }
    }

    /** A safetensors file with this exact header (padded to 8) and data. */
    private Path writeRaw(String name, String json, byte[] data) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(header);
        for (int i = header.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        b.put(data);
        Path file = tmp.resolve(name);
        Files.write(file, b.array());
        return file;
    }

    private static long headerLength(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            return b.getLong(0);
        }
    }

    private static String headerText(Path file) throws IOException {
        long n = headerLength(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) n);
            ch.read(b, 8);
            return new String(b.array(), StandardCharsets.UTF_8);
        }
    }

    /** The tensor's bytes read straight from the file, independent of the code under test. */
    private static ByteBuffer rawData(Path file, TensorEntry e) throws IOException {
        long n = headerLength(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) e.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (ch.read(b, 8 + n + e.begin() + b.position()) < 0) {
                    throw new IOException("short file");
                }
            }
            return b.flip();
        }
    }

    private static byte[] bytes(NDArray a) {
        ByteBuffer b = a.toByteBuffer();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static NDArray u8(NDManager m, byte[] data, Shape shape) {
        ByteBuffer b = ByteBuffer.allocateDirect(data.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .put(data)
                .flip();
        return m.create(b, shape, DataType.UINT8);
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.toList();
        }
    }

    /** IEEE 754 binary16 to float (Float.float16ToFloat is Java 20+). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits >>> 15) << 31;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) { // inf / NaN
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign); // signed zero
            }
            // subnormal: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
