package io.dydet.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * An original PyTorch checkpoint ({@code torch.save} zip format: {@code <root>/data.pkl}, one
 * {@code <root>/data/<key>} entry per storage, {@code <root>/version}), read in pure Java. The pickle is
 * interpreted by dydet's own reader with an allowlist of globals (tensors, storages, OrderedDict, numpy scalars):
 * nothing in the file is ever executed. DynamicDet checkpoints keep a state dict under {@code model}.
 *
 * <p>Every entry read is checked against the zip's central directory (length and CRC-32): {@link ZipFile} checks
 * neither, so a damaged file would otherwise load with altered tensors. Storages no tensor of the state dict uses
 * (an optimizer's, say) are not read and so not checked.
 */
public final class TorchCheckpoint implements AutoCloseable {
    /** data.pkl larger than this is refused (DynamicDet's are ~0.2-1 MB). */
    static final long MAX_PICKLE_BYTES = 256L << 20;

    private final Path path;
    private final ZipFile zip;
    private final String root;
    private final Object content;
    private final String version;
    /** Storage entries already checked in full (one storage may back several tensors). */
    private final Set<String> verified = new HashSet<>();

    private TorchCheckpoint(Path path, ZipFile zip, String root, Object content, String version) {
        this.path = path;
        this.zip = zip;
        this.root = root;
        this.content = content;
        this.version = version;
    }

    /** Opens a checkpoint and reads its pickle (tensor data is read by {@link #stateDict}). */
    public static TorchCheckpoint open(Path file) throws CheckpointException {
        if (!Files.isRegularFile(file)) throw new CheckpointException("checkpoint " + file + " does not exist");
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (IOException e) {
            String hint = looksLikeLegacy(file)
                    ? " (this is torch's legacy pre-1.6 format: re-save it with torch >= 1.6)"
                    : " (truncated or not a torch.save zip file)";
            throw new CheckpointException("cannot read checkpoint " + file + ": " + e.getMessage() + hint, e);
        }
        try {
            String pkl = null;
            Enumeration<? extends ZipEntry> en = zip.entries();
            while (en.hasMoreElements()) {
                String n = en.nextElement().getName();
                if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                    if (pkl != null)
                        throw new CheckpointException(file + ": more than one data.pkl (" + pkl + ", " + n + ")");
                    pkl = n;
                } else if (n.equals("data.pkl")) {
                    throw new CheckpointException(file + ": data.pkl without a root folder is not torch.save's layout");
                }
            }
            if (pkl == null)
                throw new CheckpointException(file + " holds no <root>/data.pkl: not a torch.save checkpoint");
            String root = pkl.substring(0, pkl.length() - "data.pkl".length());
            ZipEntry order = zip.getEntry(root + "byteorder");
            if (order != null) {
                String bo = new String(read(zip, order, 16, file), StandardCharsets.US_ASCII).trim();
                if (!bo.equals("little"))
                    throw new CheckpointException(
                            file + ": byte order '" + bo + "' is not supported (little-endian only)");
            }
            ZipEntry ver = zip.getEntry(root + "version");
            String version =
                    ver == null ? null : new String(read(zip, ver, 64, file), StandardCharsets.US_ASCII).trim();
            byte[] pickle = read(zip, zip.getEntry(pkl), MAX_PICKLE_BYTES, file);
            Object content = Unpickler.load(pickle, file + " (" + pkl + ")");
            return new TorchCheckpoint(file, zip, root, content, version);
        } catch (CheckpointException e) {
            closeQuietly(zip);
            throw e;
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw new CheckpointException(file + ": malformed checkpoint (" + e + ")", e);
        }
    }

    private static boolean looksLikeLegacy(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            int b0 = in.read(), b1 = in.read();
            return b0 == 0x80 && b1 >= 2 && b1 <= 5;
        } catch (IOException e) {
            return false;
        }
    }

    private static void closeQuietly(ZipFile zip) {
        try {
            zip.close();
        } catch (IOException ignored) {
            // already failing; the first error is the one to report
        }
    }

    private static byte[] read(ZipFile zip, ZipEntry e, long limit, Path file) throws CheckpointException {
        long declared = e.getSize();
        if (declared > limit)
            throw new CheckpointException(file + ": entry " + e.getName() + " is " + declared + " bytes, more than the "
                    + limit + " dydet reads");
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) Math.min(limit, declared >= 0 ? declared : limit));
            if (declared >= 0 && b.length != declared)
                throw new CheckpointException(
                        file + ": entry " + e.getName() + " is shorter than its header says (truncated file?)");
            if (declared < 0 && in.read() >= 0)
                throw new CheckpointException(file + ": entry " + e.getName() + " is larger than " + limit + " bytes");
            long length = b.length;
            byte[] rest = new byte[256];
            for (int n; (n = in.read(rest)) > 0; ) length += n; // bytes past the recorded size mean damage too
            CRC32 crc = new CRC32();
            crc.update(b);
            checkIntegrity(file, e, length, crc.getValue());
            return b;
        } catch (CheckpointException ex) {
            throw ex; // already names the file and the entry
        } catch (IOException ex) {
            throw new CheckpointException(file + ": cannot read entry " + e.getName() + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * The first {@code n} bytes of a storage entry (a view may use only part of its storage: only those are kept).
     * The rest is streamed through the CRC once, so every storage a tensor comes from is checked in full.
     */
    private byte[] readStorage(ZipEntry e, int n) throws CheckpointException {
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes(n);
            if (b.length < n)
                throw new CheckpointException(path + ": entry " + e.getName() + " ends after " + b.length + " bytes, "
                        + n + " expected (truncated file?)");
            if (verified.contains(e.getName())) return b;
            CRC32 crc = new CRC32();
            crc.update(b);
            long length = b.length;
            byte[] rest = new byte[1 << 16];
            for (int r; (r = in.read(rest)) > 0; ) {
                crc.update(rest, 0, r);
                length += r;
            }
            checkIntegrity(path, e, length, crc.getValue());
            verified.add(e.getName());
            return b;
        } catch (CheckpointException ex) {
            throw ex;
        } catch (IOException ex) {
            throw new CheckpointException(path + ": cannot read entry " + e.getName() + ": " + ex.getMessage(), ex);
        }
    }

    /** Compares what an entry held with the zip's records of it. */
    private static void checkIntegrity(Path file, ZipEntry e, long length, long crc) throws CheckpointException {
        if (e.getSize() >= 0 && length != e.getSize()) {
            throw new CheckpointException(file + ": entry " + e.getName() + " holds " + length
                    + " bytes but the zip records " + e.getSize() + ": the file is damaged");
        }
        if (e.getCrc() >= 0 && crc != e.getCrc()) {
            throw new CheckpointException(String.format(
                    "%s: entry %s fails its CRC-32 check (stored 0x%08x, computed 0x%08x): the file is damaged",
                    file, e.getName(), e.getCrc(), crc));
        }
    }

    public Path path() {
        return path;
    }

    /** The unpickled top-level object: maps, lists, strings, numbers; tensors as opaque references. */
    public Object root() {
        return content;
    }

    /** The top-level keys when the checkpoint is a dict (DynamicDet's: epoch, best_fitness, model, ema, ...). */
    public Set<String> topLevelKeys() {
        Set<String> keys = new LinkedHashSet<>();
        if (content instanceof Map<?, ?> m) m.keySet().forEach(k -> keys.add(String.valueOf(k)));
        return keys;
    }

    /** Scalars of the checkpoint as text: epoch, best_fitness, training_results, updates, the zip format version. */
    public Map<String, String> metadata() {
        Map<String, String> out = new LinkedHashMap<>();
        if (content instanceof Map<?, ?> m) {
            for (String k : List.of("epoch", "best_fitness", "training_results", "updates", "wandb_id")) {
                Object v = m.get(k);
                if (v == null) continue;
                if (v instanceof Unpickler.NumpyArray a) out.put(k, numpyText(a));
                else if (v instanceof String || v instanceof Number || v instanceof Boolean)
                    out.put(k, String.valueOf(v));
            }
        }
        if (version != null) out.put("torch_zip_version", version);
        out.put("archive_root", root.substring(0, root.length() - 1));
        return out;
    }

    private static String numpyText(Unpickler.NumpyArray a) {
        String d = a.dtype;
        ByteBuffer b =
                ByteBuffer.wrap(a.data).order(d.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        List<String> vals = new ArrayList<>();
        String t = d.replaceAll("[<>=|]", "");
        int n = Math.min(
                16,
                switch (t) {
                    case "f8", "i8" -> a.data.length / 8;
                    case "f4", "i4" -> a.data.length / 4;
                    default -> 0;
                });
        for (int i = 0; i < n; i++) {
            switch (t) {
                case "f8" -> vals.add(Double.toString(b.getDouble()));
                case "f4" -> vals.add(Float.toString(b.getFloat()));
                case "i8" -> vals.add(Long.toString(b.getLong()));
                default -> vals.add(Integer.toString(b.getInt()));
            }
        }
        if (vals.isEmpty()) return "numpy array " + d + " " + Arrays.toString(a.shape);
        return vals.size() == 1 ? vals.get(0) : vals.toString();
    }

    /**
     * The state dict under {@code model} (or the top level itself when it is a dict of tensors), in file order,
     * with floating tensors as FLOAT32 (fp16 and bf16 widened exactly) and integer tensors as stored.
     */
    public LinkedHashMap<String, NDArray> stateDict(NDManager manager) throws CheckpointException {
        Map<?, ?> sd = stateDictEntries();
        LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<?, ?> e : sd.entrySet()) {
                String name = String.valueOf(e.getKey());
                if (!(e.getValue() instanceof Unpickler.TensorRef t)) {
                    throw new CheckpointException(path + ": state-dict entry '" + name + "' is not a tensor");
                }
                NDArray a = tensor(manager, name, t);
                a.setName(name);
                out.put(name, a);
            }
            return out;
        } catch (CheckpointException | RuntimeException e) {
            out.values().forEach(NDArray::close);
            if (e instanceof CheckpointException ce) throw ce;
            throw new CheckpointException(path + ": malformed tensor data (" + e + ")", e);
        }
    }

    /** Tensor names and shapes of the state dict, in file order, without reading any tensor data. */
    public LinkedHashMap<String, long[]> stateDictShapes() throws CheckpointException {
        LinkedHashMap<String, long[]> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : stateDictEntries().entrySet()) {
            if (!(e.getValue() instanceof Unpickler.TensorRef t)) {
                throw new CheckpointException(path + ": state-dict entry '" + e.getKey() + "' is not a tensor");
            }
            out.put(String.valueOf(e.getKey()), t.size().clone());
        }
        return out;
    }

    /** The state dict's unpickled entries: under 'model', or the top level when it is a dict of tensors. */
    private Map<?, ?> stateDictEntries() throws CheckpointException {
        if (content instanceof Map<?, ?> m) {
            Object model = m.get("model");
            if (model instanceof Map<?, ?> mm) return mm;
            if (!m.isEmpty() && m.values().stream().allMatch(v -> v instanceof Unpickler.TensorRef)) return m;
        }
        throw new CheckpointException(path + " has no state dict under 'model' (top-level keys: " + topLevelKeys()
                + "); dydet reads checkpoints whose 'model' is a state dict, as DynamicDet saves them");
    }

    private static int elementSize(String storage) {
        return switch (storage) {
            case "DoubleStorage", "LongStorage" -> 8;
            case "FloatStorage", "IntStorage" -> 4;
            case "HalfStorage", "BFloat16Storage", "ShortStorage" -> 2;
            default -> 1; // Char, Byte, Bool
        };
    }

    private NDArray tensor(NDManager manager, String name, Unpickler.TensorRef t) throws CheckpointException {
        long numel = 1;
        long maxIndex = t.offset();
        try {
            for (int i = 0; i < t.size().length; i++) {
                if (t.size()[i] < 0 || t.stride()[i] < 0)
                    throw new CheckpointException(path + ": tensor '" + name + "' has a negative size or stride");
                numel = Math.multiplyExact(numel, t.size()[i]);
                if (t.size()[i] > 0)
                    maxIndex = Math.addExact(maxIndex, Math.multiplyExact(t.size()[i] - 1, t.stride()[i]));
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(path + ": tensor '" + name + "' has a shape " + Arrays.toString(t.size())
                    + " whose element count overflows");
        }
        if (t.offset() < 0)
            throw new CheckpointException(path + ": tensor '" + name + "' has a negative storage offset");
        Unpickler.StorageRef s = t.storage();
        int es = elementSize(s.storageType());
        ZipEntry entry = zip.getEntry(root + "data/" + s.key());
        if (entry == null)
            throw new CheckpointException(
                    path + ": tensor '" + name + "' refers to storage " + s.key() + ", which the archive lacks");
        long needed = numel == 0 ? 0 : (maxIndex + 1) * es;
        if (entry.getSize() >= 0 && entry.getSize() < needed) {
            throw new CheckpointException(path + ": storage " + s.key() + " of tensor '" + name + "' holds "
                    + entry.getSize() + " bytes but the tensor needs " + needed);
        }
        if (needed > Integer.MAX_VALUE - 16)
            throw new CheckpointException(path + ": tensor '" + name + "' is larger than 2 GB");
        byte[] storage = readStorage(entry, (int) needed);
        if (storage.length < needed)
            throw new CheckpointException(
                    path + ": storage " + s.key() + " of tensor '" + name + "' is shorter than the tensor");
        byte[] contiguous = gather(storage, t, numel, es);
        Shape shape = new Shape(t.size());
        ByteBuffer buf =
                ByteBuffer.allocateDirect(Math.max(contiguous.length, 1)).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(contiguous).flip();
        switch (s.storageType()) {
            case "HalfStorage" -> {
                try (NDArray half = manager.create(buf, shape, DataType.FLOAT16)) {
                    return half.toType(DataType.FLOAT32, true);
                }
            }
            case "BFloat16Storage" -> {
                ByteBuffer f = ByteBuffer.allocateDirect((int) numel * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < numel; i++) f.putInt((Short.toUnsignedInt(buf.getShort(i * 2))) << 16);
                f.flip();
                return manager.create(f, shape, DataType.FLOAT32);
            }
            case "FloatStorage" -> {
                return manager.create(buf, shape, DataType.FLOAT32);
            }
            case "DoubleStorage" -> {
                try (NDArray d = manager.create(buf, shape, DataType.FLOAT64)) {
                    return d.toType(DataType.FLOAT32, true);
                }
            }
            case "LongStorage" -> {
                return manager.create(buf, shape, DataType.INT64);
            }
            case "IntStorage" -> {
                return manager.create(buf, shape, DataType.INT32);
            }
            case "CharStorage" -> {
                return manager.create(buf, shape, DataType.INT8);
            }
            case "ByteStorage" -> {
                return manager.create(buf, shape, DataType.UINT8);
            }
            case "BoolStorage" -> {
                return manager.create(buf, shape, DataType.BOOLEAN);
            }
            default ->
                throw new CheckpointException(path + ": tensor '" + name + "' has storage type " + s.storageType()
                        + ", which dydet does not read");
        }
    }

    /** The tensor's elements in row-major order (a copy of a slice when contiguous; a gather for views). */
    private static byte[] gather(byte[] storage, Unpickler.TensorRef t, long numel, int es) {
        long[] size = t.size(), stride = t.stride();
        boolean contiguous = true;
        long expect = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expect) contiguous = false;
            expect *= size[i];
        }
        int from = (int) (t.offset() * es);
        if (contiguous) return Arrays.copyOfRange(storage, from, from + (int) (numel * es));
        byte[] out = new byte[(int) (numel * es)];
        long[] idx = new long[size.length];
        for (long n = 0; n < numel; n++) {
            long src = t.offset();
            for (int d = 0; d < size.length; d++) src += idx[d] * stride[d];
            System.arraycopy(storage, (int) (src * es), out, (int) (n * es), es);
            for (int d = size.length - 1; d >= 0; d--) {
                if (++idx[d] < size[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }
}
