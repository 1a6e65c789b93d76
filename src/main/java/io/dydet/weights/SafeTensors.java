package io.dydet.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dydet.files.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Entry points for safetensors files: {@link #open(Path)} to read, {@link #write(Path, Map, Map)} to write.
 *
 * <p>Supported dtypes and their DJL data types: {@code F16}/{@link DataType#FLOAT16}, {@code F32}/{@link
 * DataType#FLOAT32}, {@code F64}/{@link DataType#FLOAT64}, {@code I64}/{@link DataType#INT64}, {@code I32}/{@link
 * DataType#INT32}, {@code U8}/{@link DataType#UINT8}, {@code I8}/{@link DataType#INT8}, {@code BOOL}/{@link
 * DataType#BOOLEAN}.
 */
public final class SafeTensors {

    /** Key of the string-to-string metadata map in the header. */
    static final String METADATA_KEY = "__metadata__";

    /** A larger header is certainly not a safetensors header (and would be read into memory). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Supported dtypes, in the order they are listed in messages. */
    static final List<String> DTYPES = List.of("F16", "F32", "F64", "I64", "I32", "U8", "I8", "BOOL");

    /** Strict: a duplicate key or text after the header object is an error, not silently ignored. */
    static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private SafeTensors() {}

    /**
     * The temporary files that {@link #write} calls for {@code file} left behind when the process was killed
     * mid-write (each as large as the file). Only the owner of the folder, knowing no write is under way, should delete
     * them.
     */
    public static List<Path> leftoverTemporaryFiles(Path file) throws IOException {
        return AtomicFile.leftovers(file);
    }

    /**
     * Opens a safetensors file: reads and validates its header; tensor data is read later, one tensor at a time.
     *
     * @param file the file
     * @return the opened file, to be closed by the caller
     * @throws WeightsException if the file cannot be read or is malformed (bad header length, invalid JSON,
     *     missing or ill-typed fields, unknown dtype, negative dimensions, offsets that do not match the shape or
     *     lie outside the file); the message names the file and the tensor
     */
    public static SafeTensorsFile open(Path file) throws WeightsException {
        return SafeTensorsFile.open(file);
    }

    /**
     * Writes tensors to a safetensors file atomically: the data goes to a temporary file in the same directory, is
     * forced to disk and then moved over {@code file}. On any failure the temporary file is deleted and an existing
     * {@code file} is left untouched.
     *
     * <p>Tensors are written in the map's iteration order (use a {@link java.util.LinkedHashMap}); the header is
     * padded with spaces to a multiple of 8 bytes; data is little-endian. 0-d and zero-size arrays are supported.
     *
     * @param file the target file
     * @param tensors tensor key to array; the data type must be one of the supported ones (see class comment)
     * @param metadata the {@code __metadata__} map, may be empty or {@code null} (then no metadata is written)
     * @throws WeightsException if a tensor cannot be written (unsupported data type, null or closed array, the
     *     reserved key {@code __metadata__}); the message names the file and the tensor
     * @throws IOException if the file system fails
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        Path target = file.toAbsolutePath();
        AtomicFile.writeChannel(target, ch -> writeTo(ch, target, tensors, metadata == null ? Map.of() : metadata));
    }

    /** A tensor to write: its header entry and the array holding the data. */
    private record Planned(String name, NDArray array, int elementBytes, long byteLength) {}

    private static void writeTo(FileChannel ch, Path target, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode md = root.putObject(METADATA_KEY);
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new WeightsException("cannot write " + target + ": null key or value in metadata");
                }
                md.put(e.getKey(), e.getValue());
            }
        }
        List<Planned> plan = new ArrayList<>(tensors.size());
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            String name = e.getKey();
            NDArray array = e.getValue();
            if (name == null) {
                throw new WeightsException("cannot write " + target + ": null tensor name");
            }
            String where = "tensor '" + name + "' for " + target + ": ";
            if (METADATA_KEY.equals(name)) {
                throw new WeightsException(where + "the key " + METADATA_KEY + " is reserved for metadata");
            }
            if (array == null) {
                throw new WeightsException(where + "array is null");
            }
            DataType type;
            Shape shape;
            try {
                type = array.getDataType();
                shape = array.getShape();
            } catch (RuntimeException ex) { // e.g. a closed array
                throw new WeightsException(where + "cannot read the array (" + ex.getMessage() + ")", ex);
            }
            String dtype = dtypeName(type);
            if (dtype == null) {
                throw new WeightsException(where + "data type " + type + " has no safetensors dtype (supported: "
                        + String.join(", ", DTYPES) + ")");
            }
            int elementBytes = type.getNumOfBytes();
            long byteLength = Math.multiplyExact(shape.size(), elementBytes);
            ObjectNode t = root.putObject(name);
            t.put("dtype", dtype);
            ArrayNode dims = t.putArray("shape");
            for (long d : shape.getShape()) {
                dims.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + byteLength);
            plan.add(new Planned(name, array, elementBytes, byteLength));
            offset += byteLength;
        }

        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        writeFully(ch, head);

        for (Planned p : plan) {
            if (p.byteLength() == 0) {
                continue; // nothing to write, and no need to touch the engine
            }
            writeFully(ch, littleEndianBytes(target, p));
        }
    }

    /** The array's bytes in little-endian order; DJL hands them out in native order. */
    private static ByteBuffer littleEndianBytes(Path target, Planned p) throws WeightsException {
        String where = "tensor '" + p.name() + "' for " + target + ": ";
        ByteBuffer buf;
        try {
            buf = p.array().toByteBuffer();
        } catch (RuntimeException ex) { // e.g. a closed array
            throw new WeightsException(where + "cannot get the data of the array (" + ex.getMessage() + ")", ex);
        }
        if (buf.remaining() != p.byteLength()) {
            throw new WeightsException(where + "array gave " + buf.remaining() + " bytes, expected " + p.byteLength());
        }
        if (buf.order() == ByteOrder.LITTLE_ENDIAN || p.elementBytes() == 1) {
            return buf;
        }
        // big-endian host: reverse the bytes of every element
        int n = p.elementBytes();
        ByteBuffer le = ByteBuffer.allocate(buf.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        byte[] element = new byte[n];
        while (buf.hasRemaining()) {
            buf.get(element);
            for (int i = n - 1; i >= 0; i--) {
                le.put(element[i]);
            }
        }
        return le.flip();
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** The DJL data type of a safetensors dtype, or {@code null} if unsupported. */
    static DataType dataType(String dtype) {
        return switch (dtype) {
            case "F16" -> DataType.FLOAT16;
            case "F32" -> DataType.FLOAT32;
            case "F64" -> DataType.FLOAT64;
            case "I64" -> DataType.INT64;
            case "I32" -> DataType.INT32;
            case "U8" -> DataType.UINT8;
            case "I8" -> DataType.INT8;
            case "BOOL" -> DataType.BOOLEAN;
            default -> null;
        };
    }

    /** The safetensors dtype of a DJL data type, or {@code null} if unsupported. */
    static String dtypeName(DataType type) {
        return switch (type) {
            case FLOAT16 -> "F16";
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case UINT8 -> "U8";
            case INT8 -> "I8";
            case BOOLEAN -> "BOOL";
            default -> null;
        };
    }

    /** For messages: {@code [1, 2]} rather than {@code (1, 2)}, as in the header. */
    static String dims(long[] shape) {
        return Arrays.toString(shape);
    }
}
