package io.dydet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.dydet.engine.Engines;
import io.dydet.testing.Damage;
import io.dydet.testing.Golden;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TorchCheckpointTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    @Test
    void goldenCheckpointEqualsTheGoldenSafetensorsBitForBit() throws Exception {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(Golden.file("dy-yolov7-w025.ckpt.pt"));
                SafeTensorsFile st = SafeTensors.open(Golden.file("dy-yolov7-w025.safetensors"));
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(
                    List.of(
                            "epoch",
                            "best_fitness",
                            "training_results",
                            "model",
                            "ema",
                            "updates",
                            "optimizer",
                            "wandb_id"),
                    List.copyOf(ckpt.topLevelKeys()));
            assertEquals("-1", ckpt.metadata().get("epoch"));
            assertEquals("0.0", ckpt.metadata().get("best_fitness"));
            assertEquals("dy-yolov7-w025.ckpt", ckpt.metadata().get("archive_root"));
            LinkedHashMap<String, NDArray> sd = ckpt.stateDict(m);
            LinkedHashMap<String, NDArray> want = st.readAll(m, true);
            assertEquals(List.copyOf(want.keySet()), List.copyOf(sd.keySet()));
            for (Map.Entry<String, NDArray> e : want.entrySet()) {
                NDArray got = sd.get(e.getKey());
                assertEquals(e.getValue().getDataType(), got.getDataType(), e.getKey());
                assertEquals(e.getValue().getShape(), got.getShape(), e.getKey());
                if (got.getDataType() == DataType.FLOAT32)
                    assertArrayEquals(e.getValue().toFloatArray(), got.toFloatArray(), 0f, e.getKey());
                else assertArrayEquals(e.getValue().toLongArray(), got.toLongArray(), e.getKey());
            }
            assertEquals(22L, sd.get("model_b.0.bn.num_batches_tracked").getLong());
        }
    }

    @Test
    void stridedOffsetViewsZeroDimAndEmptyTensorsAreRebuilt() throws Exception {
        PickleBuilder p = new PickleBuilder().proto().op('}').op('(');
        p.str("view").tensor("FloatStorage", "0", 8, 1, new long[] {2, 3}, new long[] {1, 2});
        p.str("scalar").tensor("LongStorage", "1", 1, 0, new long[] {}, new long[] {});
        p.str("empty").tensor("FloatStorage", "2", 0, 0, new long[] {0, 6}, new long[] {6, 1});
        p.op('u').op('.');
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", PickleBuilder.floats(0, 1, 2, 3, 4, 5, 6, 7));
        storages.put("1", new byte[] {42, 0, 0, 0, 0, 0, 0, 0});
        storages.put("2", new byte[0]);
        Path f = dir.resolve("view.pt");
        PickleBuilder.writeZip(f, "archive", p.bytes(), storages);
        try (TorchCheckpoint c = TorchCheckpoint.open(f);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> sd = c.stateDict(m);
            // element [i][j] = storage[1 + i * 1 + j * 2]
            assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, sd.get("view").toFloatArray());
            assertEquals(new ai.djl.ndarray.types.Shape(), sd.get("scalar").getShape());
            assertEquals(42L, sd.get("scalar").getLong());
            assertEquals(new ai.djl.ndarray.types.Shape(0, 6), sd.get("empty").getShape());
        }
    }

    /** "w" reads all of storage 0; "head" only the first two of storage 1's eight floats. */
    private Path twoTensorCheckpoint() throws Exception {
        byte[] pkl = new PickleBuilder()
                .proto()
                .op('}')
                .str("model")
                .op('}')
                .str("w")
                .tensor("FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1})
                .op('s')
                .str("head")
                .tensor("FloatStorage", "1", 8, 0, new long[] {2}, new long[] {1})
                .op('s')
                .op('s')
                .op('.')
                .bytes();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", PickleBuilder.floats(1, 2, 3, 4));
        storages.put("1", PickleBuilder.floats(10, 11, 12, 13, 14, 15, 16, 17));
        Path f = dir.resolve("model.pt");
        PickleBuilder.writeZip(f, "archive", pkl, storages);
        return f;
    }

    private static CheckpointException refusal(Path f) {
        return assertThrows(CheckpointException.class, () -> {
            try (TorchCheckpoint c = TorchCheckpoint.open(f);
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                c.stateDict(m);
            }
        });
    }

    @Test
    void entryFailingItsCrcIsRefusedNamingTheEntry() throws Exception {
        Path valid = twoTensorCheckpoint();
        CRC32 crc = new CRC32();
        crc.update(PickleBuilder.floats(1, 2, 3, 4));
        Path damaged = Damage.zipEntryFlip(valid, dir.resolve("damaged.pt"), "archive/data/0", 5);
        String msg = refusal(damaged).getMessage();
        assertTrue(
                msg.startsWith(damaged + ": entry archive/data/0 fails its CRC-32 check (stored "
                                + String.format("0x%08x", crc.getValue()) + ", computed 0x")
                        && msg.endsWith("): the file is damaged"),
                msg);
        // the untouched file loads as written
        try (TorchCheckpoint c = TorchCheckpoint.open(valid);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> sd = c.stateDict(m);
            assertArrayEquals(new float[] {1, 2, 3, 4}, sd.get("w").toFloatArray());
            assertArrayEquals(new float[] {10, 11}, sd.get("head").toFloatArray());
        }
    }

    @Test
    void damageInTheUnreadTailOfAStorageIsFoundToo() throws Exception {
        // "head" needs 8 bytes of storage 1; the flipped bit is in byte 29, which no tensor reads
        Path damaged = Damage.zipEntryFlip(twoTensorCheckpoint(), dir.resolve("tail.pt"), "archive/data/1", 29);
        String msg = refusal(damaged).getMessage();
        assertTrue(msg.contains("entry archive/data/1 fails its CRC-32 check"), msg);
    }

    @Test
    void damagedPickleIsRefusedOnOpen() throws Exception {
        Path damaged = Damage.zipEntryFlip(twoTensorCheckpoint(), dir.resolve("pickle.pt"), "archive/data.pkl", 3);
        CheckpointException e = assertThrows(
                CheckpointException.class, () -> TorchCheckpoint.open(damaged).close());
        assertTrue(e.getMessage().contains("entry archive/data.pkl fails its CRC-32 check"), e.getMessage());
    }

    private Path checkpointWithPickle(byte[] pickle) throws Exception {
        Path f = dir.resolve("hostile.pt");
        PickleBuilder.writeZip(f, "archive", pickle, Map.of());
        return f;
    }

    @ParameterizedTest
    @CsvSource({"os, system", "builtins, eval", "posix, system", "subprocess, Popen"})
    void codeExecutingGlobalsAreRefusedViaGlobal(String module, String name) throws Exception {
        byte[] pkl = new PickleBuilder()
                .proto()
                .global(module, name)
                .op('(')
                .str("touch /tmp/dydet-pwned")
                .op('t')
                .op('R')
                .op('.')
                .bytes();
        CheckpointException e =
                assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(checkpointWithPickle(pkl)));
        assertTrue(e.getMessage().contains("refused to load global '" + module + "." + name + "'"), e.getMessage());
        assertTrue(!Files.exists(Path.of("/tmp/dydet-pwned")));
    }

    @ParameterizedTest
    @CsvSource({"os, system", "builtins, eval", "posix, system", "subprocess, Popen"})
    void codeExecutingGlobalsAreRefusedViaStackGlobal(String module, String name) throws Exception {
        byte[] pkl = new PickleBuilder()
                .proto()
                .str(module)
                .str(name)
                .op(0x93)
                .op('(')
                .str("id")
                .op('t')
                .op('R')
                .op('.')
                .bytes();
        CheckpointException e =
                assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(checkpointWithPickle(pkl)));
        assertTrue(e.getMessage().contains(module + "." + name), e.getMessage());
    }

    @Test
    void pickledModuleGetsTheReSaveHint() throws Exception {
        byte[] pkl = new PickleBuilder()
                .proto()
                .op('}')
                .str("model")
                .global("models.yolo", "Model")
                .op(')')
                .op(0x81)
                .op('s')
                .op('.')
                .bytes();
        CheckpointException e =
                assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(checkpointWithPickle(pkl)));
        assertTrue(
                e.getMessage().contains("pickled model object")
                        && e.getMessage().contains("state_dict()"),
                e.getMessage());
    }

    @Test
    void unknownOpcodeIsNamed() throws Exception {
        byte[] pkl = new PickleBuilder().proto().op(0xfe).op('.').bytes();
        CheckpointException e =
                assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(checkpointWithPickle(pkl)));
        assertTrue(e.getMessage().contains("unsupported pickle opcode 0xfe"), e.getMessage());
    }

    @Test
    void truncatedZipIsRefused() throws Exception {
        Path f = dir.resolve("truncated.pt");
        Files.copy(Golden.file("dy-yolov7-w025.ckpt.pt"), f);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> {
            try (TorchCheckpoint c = TorchCheckpoint.open(f);
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                c.stateDict(m);
            }
        });
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void storageShorterThanItsTensorIsRefused() throws Exception {
        byte[] pkl = new PickleBuilder()
                .proto()
                .op('}')
                .str("model")
                .op('}')
                .str("w")
                .tensor("FloatStorage", "0", 100, 0, new long[] {10, 10}, new long[] {10, 1})
                .op('s')
                .op('s')
                .op('.')
                .bytes();
        Path f = dir.resolve("short.pt");
        PickleBuilder.writeZip(f, "archive", pkl, Map.of("0", PickleBuilder.floats(1, 2, 3)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> {
            try (TorchCheckpoint c = TorchCheckpoint.open(f);
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                c.stateDict(m);
            }
        });
        assertTrue(
                e.getMessage().contains("tensor 'w'")
                        && e.getMessage().contains("holds 12 bytes but the tensor needs 400"),
                e.getMessage());
    }

    @Test
    void shapeWhoseElementCountOverflowsIsRefused() throws Exception {
        byte[] pkl = new PickleBuilder()
                .proto()
                .op('}')
                .str("model")
                .op('}')
                .str("w")
                .tensor("FloatStorage", "0", 1, 0, new long[] {1L << 40, 1L << 40}, new long[] {1, 1})
                .op('s')
                .op('s')
                .op('.')
                .bytes();
        Path f = dir.resolve("overflow.pt");
        PickleBuilder.writeZip(f, "archive", pkl, Map.of("0", PickleBuilder.floats(1)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> {
            try (TorchCheckpoint c = TorchCheckpoint.open(f);
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                c.stateDict(m);
            }
        });
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
    }

    @Test
    void deeplyNestedPickleIsRefusedNotAStackOverflow() throws Exception {
        PickleBuilder p = new PickleBuilder().proto();
        for (int i = 0; i < 200_000; i++) p.op('(');
        byte[] pkl = p.op('.').bytes();
        CheckpointException e =
                assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(checkpointWithPickle(pkl)));
        assertTrue(e.getMessage().contains("nested MARKs"), e.getMessage());
        PickleBuilder lists = new PickleBuilder().proto();
        for (int i = 0; i < 300_000; i++) lists.op(']');
        for (int i = 0; i < 299_999; i++) lists.op('a');
        lists.op('.');
        // deep nesting of lists is data, not recursion: it loads (and is no state dict)
        try (TorchCheckpoint c = TorchCheckpoint.open(checkpointWithPickle(lists.bytes()));
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            CheckpointException e2 = assertThrows(CheckpointException.class, () -> c.stateDict(m));
            assertTrue(e2.getMessage().contains("no state dict"), e2.getMessage());
        }
    }

    @Test
    void notAZipAndMissingFilesAreClear() throws Exception {
        Path f = dir.resolve("legacy.pt");
        Files.write(f, new byte[] {(byte) 0x80, 2, 'K', 1, '.'});
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(f));
        assertTrue(e.getMessage().contains("legacy pre-1.6 format"), e.getMessage());
        CheckpointException e2 =
                assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(dir.resolve("absent.pt")));
        assertTrue(e2.getMessage().contains("does not exist"), e2.getMessage());
    }
}
