package io.dydet.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An opened safetensors file whose header has been parsed and validated (see {@link SafeTensors#open(Path)}).
 * Tensors are read on demand with positional reads, so several threads may read from one instance; the file stays
 * open until {@link #close()}.
 */
public final class SafeTensorsFile implements AutoCloseable {

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorEntry> entries;
    private final Map<String, String> metadata;

    private SafeTensorsFile(
            Path path,
            FileChannel channel,
            long dataStart,
            Map<String, TensorEntry> entries,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = Collections.unmodifiableMap(entries);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** The {@code __metadata__} map of the header, in header order; empty if absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors in header order. */
    public List<TensorEntry> entries() {
        return List.copyOf(entries.values());
    }

    /** The tensor with this key, if present. */
    public Optional<TensorEntry> entry(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /**
     * Reads one tensor with its stored data type (e.g. {@code F16} gives {@link DataType#FLOAT16}, {@code U8} gives
     * {@link DataType#UINT8}). The array is attached to {@code manager} and named after the tensor key.
     *
     * @throws WeightsException if there is no such tensor or its data cannot be read
     * @throws IllegalStateException if this file has been closed
     */
    public NDArray read(NDManager manager, String name) throws WeightsException {
        TensorEntry e = entries.get(name);
        if (e == null) {
            throw new WeightsException("tensor '" + name + "' not found in " + path);
        }
        NDArray array = manager.create(readBytes(e), e.djlShape(), e.dataType());
        array.setName(name);
        return array;
    }

    /**
     * Reads one tensor; floating types ({@code F16}, {@code F64}) are converted to {@link DataType#FLOAT32} by the
     * engine, integer and boolean types are returned as stored.
     *
     * @throws WeightsException if there is no such tensor or its data cannot be read
     * @throws IllegalStateException if this file has been closed
     */
    public NDArray readAsFloat32(NDManager manager, String name) throws WeightsException {
        NDArray stored = read(manager, name);
        DataType type = stored.getDataType();
        if (!type.isFloating() || type == DataType.FLOAT32) {
            return stored;
        }
        NDArray converted = stored.toType(DataType.FLOAT32, false);
        stored.close(); // converted is a new tensor; don't keep both until the manager closes
        converted.setName(name);
        return converted;
    }

    /**
     * Reads all tensors in header order. On failure the arrays already created are closed.
     *
     * @param floatsToFloat32 convert floating types to {@link DataType#FLOAT32} as {@link #readAsFloat32} does
     * @throws WeightsException if a tensor cannot be read
     * @throws IllegalStateException if this file has been closed
     */
    public LinkedHashMap<String, NDArray> readAll(NDManager manager, boolean floatsToFloat32) throws WeightsException {
        LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (String name : entries.keySet()) {
                out.put(name, floatsToFloat32 ? readAsFloat32(manager, name) : read(manager, name));
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.values().forEach(NDArray::close);
            }
        }
    }

    /** Closes the file; arrays already read stay valid (they own their data). */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // a read-only channel has nothing to flush; there is nothing useful to do with this
        }
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + path + ", " + entries.size() + " tensors]";
    }

    /** The tensor's bytes in a fresh little-endian direct buffer (DJL keeps it as the array's storage). */
    private ByteBuffer readBytes(TensorEntry e) throws WeightsException {
        if (!channel.isOpen()) {
            throw new IllegalStateException(path + " is closed");
        }
        long length = e.byteLength();
        if (length > Integer.MAX_VALUE - 8) {
            throw new WeightsException(where(e.name()) + length + " bytes is too large for one buffer");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) length).order(ByteOrder.LITTLE_ENDIAN);
        long position = dataStart + e.begin();
        try {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, position);
                if (n < 0) {
                    throw new WeightsException(where(e.name()) + "unexpected end of file at byte " + position
                            + " (file changed since it was opened?)");
                }
                position += n;
            }
        } catch (WeightsException ex) {
            throw ex;
        } catch (IOException ex) {
            throw new WeightsException(where(e.name()) + "read failed: " + ex, ex);
        }
        return buf.flip();
    }

    private String where(String name) {
        return "tensor '" + name + "' in " + path + ": ";
    }

    // ---- opening and header validation ----

    static SafeTensorsFile open(Path file) throws WeightsException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new WeightsException(file + ": no such file", e);
        } catch (IOException | RuntimeException e) { // e.g. a directory, no permission
            throw new WeightsException(file + ": cannot open: " + e, e);
        }
        boolean ok = false;
        try {
            SafeTensorsFile opened = parse(file, ch);
            ok = true;
            return opened;
        } catch (WeightsException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read: " + e, e);
        } finally {
            if (!ok) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // the parse failure is what the caller needs to see
                }
            }
        }
    }

    private static SafeTensorsFile parse(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new WeightsException(file + ": file is " + size
                    + " bytes, shorter than the 8-byte header length (not a safetensors file?)");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, prefix, 0);
        long headerLength = prefix.getLong(0);
        if (headerLength < 0 || headerLength > SafeTensors.MAX_HEADER_BYTES) {
            throw new WeightsException(file + ": header length " + Long.toUnsignedString(headerLength)
                    + " bytes is absurd (limit " + SafeTensors.MAX_HEADER_BYTES + "; not a safetensors file?)");
        }
        if (headerLength > size - 8) {
            throw new WeightsException(file + ": header length " + headerLength + " bytes exceeds the file size of "
                    + size + " bytes (file truncated or not a safetensors file?)");
        }
        ByteBuffer header = ByteBuffer.allocate((int) headerLength);
        readFully(ch, header, 8);

        JsonNode root;
        try {
            root = SafeTensors.JSON.readTree(header.array());
        } catch (JacksonException e) {
            throw new WeightsException(file + ": invalid JSON header: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new WeightsException(file + ": header is not a JSON object");
        }

        long dataStart = 8 + headerLength;
        long dataSize = size - dataStart;
        Map<String, TensorEntry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (SafeTensors.METADATA_KEY.equals(field.getKey())) {
                parseMetadata(file, field.getValue(), metadata);
            } else {
                entries.put(field.getKey(), parseEntry(file, field.getKey(), field.getValue(), dataSize));
            }
        }
        return new SafeTensorsFile(file, ch, dataStart, entries, metadata);
    }

    private static void parseMetadata(Path file, JsonNode node, Map<String, String> out) throws WeightsException {
        if (!node.isObject()) {
            throw new WeightsException(file + ": " + SafeTensors.METADATA_KEY + " is not a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new WeightsException(file + ": " + SafeTensors.METADATA_KEY + " value of '" + e.getKey()
                        + "' is not a string: " + brief(e.getValue()));
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorEntry parseEntry(Path file, String name, JsonNode node, long dataSize)
            throws WeightsException {
        String where = "tensor '" + name + "' in " + file + ": ";
        if (!node.isObject()) {
            throw new WeightsException(where + "entry is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new WeightsException(
                    where + (dtypeNode == null ? "missing" : "ill-typed") + " field 'dtype'" + " (expected a string)");
        }
        String dtype = dtypeNode.textValue();
        DataType type = SafeTensors.dataType(dtype);
        if (type == null) {
            throw new WeightsException(
                    where + "unknown dtype '" + dtype + "' (supported: " + String.join(", ", SafeTensors.DTYPES) + ")");
        }
        long[] shape = longs(where, node, "shape", -1);
        for (long d : shape) {
            if (d < 0) {
                throw new WeightsException(where + "negative dimension in shape " + SafeTensors.dims(shape));
            }
        }
        long[] offsets = longs(where, node, "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        String offsetText = "data_offsets [" + begin + ", " + end + "]";
        if (begin < 0 || end < begin) {
            throw new WeightsException(where + offsetText + " are not 0 <= begin <= end");
        }
        long expected;
        try {
            long numel = 1;
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            expected = Math.multiplyExact(numel, (long) type.getNumOfBytes());
        } catch (ArithmeticException e) {
            throw new WeightsException(where + "shape " + SafeTensors.dims(shape) + " is too large");
        }
        if (end - begin != expected) {
            throw new WeightsException(where + offsetText + " span " + (end - begin) + " bytes, but shape "
                    + SafeTensors.dims(shape) + " of " + dtype + " needs " + expected + " bytes");
        }
        if (end > dataSize) {
            throw new WeightsException(
                    where + offsetText + " end beyond the data section of " + dataSize + " bytes (file truncated?)");
        }
        return new TensorEntry(name, dtype, shape, begin, end);
    }

    /** A JSON array of integers that fit a long; {@code length < 0} means any length. */
    private static long[] longs(String where, JsonNode entry, String field, int length) throws WeightsException {
        JsonNode node = entry.get(field);
        if (node == null) {
            throw new WeightsException(where + "missing field '" + field + "'");
        }
        if (!node.isArray() || (length >= 0 && node.size() != length)) {
            throw new WeightsException(where + "ill-typed field '" + field + "': expected an array of "
                    + (length >= 0 ? length + " " : "") + "integers, got " + brief(node));
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw new WeightsException(where + "ill-typed field '" + field + "': element " + i + " is " + brief(v)
                        + ", expected an integer");
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** A JSON value for a message, cut short: the header may hold anything. */
    private static String brief(JsonNode node) {
        String text = node.toString();
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + position);
            }
            position += n;
        }
    }
}
