package io.dydet.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that builds plain data and never executes anything: the opcodes of protocols 0-2 that
 * torch.save writes (plus FRAME/MEMOIZE/STACK_GLOBAL/SHORT_BINUNICODE of protocol 4), and only the allowlisted
 * globals, each turned into data by dydet's own code. Everything else is refused, naming the opcode or global.
 */
final class Unpickler {
    /** A tuple, kept apart from lists so persistent ids and reduce arguments read as written. */
    record Tuple(List<Object> items) {}

    /** A reference to a class or function that the allowlist admits; resolved only at REDUCE. */
    record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    /** A storage named by a persistent id: its element type, its key under data/, and its element count. */
    record StorageRef(String storageType, String key, long numel) {}

    /** A tensor view of a storage (torch._utils._rebuild_tensor_v2). */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

    /** A numpy array as numpy.core.multiarray._reconstruct + BUILD leave it: dtype string and raw bytes. */
    static final class NumpyArray {
        long[] shape = new long[0];
        String dtype = "?";
        byte[] data = new byte[0];
    }

    /** numpy.dtype(...) as data. */
    record NumpyDtype(String descr) {}

    static final Set<String> STORAGE_TYPES = Set.of(
            "HalfStorage",
            "FloatStorage",
            "DoubleStorage",
            "BFloat16Storage",
            "LongStorage",
            "IntStorage",
            "ShortStorage",
            "CharStorage",
            "ByteStorage",
            "BoolStorage");
    static final Set<String> ALLOWED = Set.of(
            "collections.OrderedDict",
            "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter",
            "numpy.core.multiarray._reconstruct",
            "numpy._core.multiarray._reconstruct",
            "numpy.dtype",
            "numpy.ndarray",
            "_codecs.encode",
            "torch.device");

    static final int MAX_STACK = 5_000_000;
    static final int MAX_MARKS = 100_000;
    private static final Object MARK = new Object();

    private final byte[] data;
    private final String source;
    private int pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private Unpickler(byte[] data, String source) {
        this.data = data;
        this.source = source;
    }

    /** Reads one pickle; {@code source} names it in errors. */
    static Object load(byte[] data, String source) throws CheckpointException {
        Unpickler u = new Unpickler(data, source);
        try {
            return u.run();
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) { // malformed data that slipped past a check: still dydet's error
            throw new CheckpointException(source + ": malformed pickle near byte " + u.pos + " (" + e + ")", e);
        }
    }

    private CheckpointException error(String what) {
        return new CheckpointException(source + ": " + what + " (at byte " + pos + " of the pickle)");
    }

    private int u8() throws CheckpointException {
        if (pos >= data.length) throw error("pickle ends early");
        return data[pos++] & 0xff;
    }

    private byte[] bytes(long n) throws CheckpointException {
        if (n < 0 || n > data.length - pos) throw error("length " + n + " runs past the end of the pickle");
        byte[] b = Arrays.copyOfRange(data, pos, pos + (int) n);
        pos += (int) n;
        return b;
    }

    private long le(int n) throws CheckpointException {
        byte[] b = bytes(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | (b[i] & 0xff);
        return v;
    }

    private String line() throws CheckpointException {
        int start = pos;
        while (pos < data.length && data[pos] != '\n') pos++;
        if (pos >= data.length) throw error("unterminated text line");
        String s = new String(data, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }

    private void push(Object o) throws CheckpointException {
        if (stack.size() >= MAX_STACK) throw error("pickle stack deeper than " + MAX_STACK);
        stack.add(o);
    }

    private Object pop() throws CheckpointException {
        if (stack.isEmpty()) throw error("pop from an empty stack");
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) throw error("unexpected MARK on the stack");
        return o;
    }

    private Object peek() throws CheckpointException {
        if (stack.isEmpty()) throw error("empty stack");
        Object o = stack.get(stack.size() - 1);
        if (o == MARK) throw error("unexpected MARK on the stack");
        return o;
    }

    private List<Object> popMark() throws CheckpointException {
        if (marks.isEmpty()) throw error("no MARK to pop to");
        int m = marks.remove(marks.size() - 1);
        if (m > stack.size() || stack.get(m) != MARK) throw error("corrupt MARK");
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        for (Object o : items) if (o == MARK) throw error("nested MARK inside a MARK group");
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private void memoPut(long index) throws CheckpointException {
        if (memo.size() > MAX_STACK) throw error("memo larger than " + MAX_STACK);
        memo.put(index, peek());
    }

    private Object memoGet(long index) throws CheckpointException {
        Object o = memo.get(index);
        if (o == null && !memo.containsKey(index)) throw error("memo index " + index + " was never stored");
        return o;
    }

    @SuppressWarnings("unchecked")
    private Object run() throws CheckpointException {
        while (true) {
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v > 5) throw error("unsupported pickle protocol " + v);
                }
                case 0x95 -> le(8); // FRAME: a length hint only
                case '.' -> { // STOP
                    Object result = pop();
                    return result;
                }
                case '(' -> { // MARK
                    if (marks.size() >= MAX_MARKS) throw error("more than " + MAX_MARKS + " nested MARKs");
                    marks.add(stack.size());
                    push(MARK);
                }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) (int) le(4)); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push(le(2)); // BININT2
                case 0x8a -> push(longN(u8())); // LONG1
                case 0x8b -> { // LONG4
                    long n = le(4);
                    if (n < 0 || n > 64) throw error("LONG4 of " + n + " bytes is larger than dydet reads");
                    push(longN((int) n));
                }
                case 'I' -> { // INT (protocol 0)
                    String s = line().trim();
                    push(
                            s.equals("01")
                                    ? (Object) Boolean.TRUE
                                    : s.equals("00") ? (Object) Boolean.FALSE : (Object) parseLong(s));
                }
                case 'L' -> push(parseLong(line().trim().replace("L", ""))); // LONG (protocol 0)
                case 'G' ->
                    push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble()); // BINFLOAT
                case 'F' -> push(parseDouble(line().trim())); // FLOAT (protocol 0)
                case 'X' -> push(new String(bytes(le(4)), StandardCharsets.UTF_8)); // BINUNICODE
                case 0x8c -> push(new String(bytes(u8()), StandardCharsets.UTF_8)); // SHORT_BINUNICODE
                case 0x8d -> push(new String(bytes(le(8)), StandardCharsets.UTF_8)); // BINUNICODE8
                case 'B' -> push(bytes(le(4))); // BINBYTES
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 'T' -> push(new String(bytes(le(4)), StandardCharsets.ISO_8859_1)); // BINSTRING
                case 'U' -> push(new String(bytes(u8()), StandardCharsets.ISO_8859_1)); // SHORT_BINSTRING
                case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
                case 't' -> push(new Tuple(popMark())); // TUPLE
                case 0x85 -> push(new Tuple(Collections.singletonList(pop()))); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop(), a = pop();
                    push(new Tuple(Arrays.asList(a, b)));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop(), b = pop(), a = pop();
                    push(new Tuple(Arrays.asList(a, b, c)));
                }
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case 'l' -> push(new ArrayList<>(popMark())); // LIST
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case 'd' -> { // DICT
                    List<Object> items = popMark();
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putAll(m, items);
                    push(m);
                }
                case 's' -> { // SETITEM
                    Object v = pop(), k = pop();
                    dict(peek()).put(key(k), v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    putAll(dict(peek()), items);
                }
                case 0x8f -> push(new ArrayList<>()); // EMPTY_SET (kept as a list)
                case 0x90 -> { // ADDITEMS
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case 0x91 -> push(new ArrayList<>(popMark())); // FROZENSET
                case 'g' -> push(memoGet(parseLong(line().trim()))); // GET
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(le(4))); // LONG_BINGET
                case 'p' -> memoPut(parseLong(line().trim())); // PUT
                case 'q' -> memoPut(u8()); // BINPUT
                case 'r' -> memoPut(le(4)); // LONG_BINPUT
                case 0x94 -> memoPut(memo.size()); // MEMOIZE
                case 'c' -> push(global(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n))
                        throw error("STACK_GLOBAL needs two strings");
                    push(global(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop(), fn = pop();
                    if (!(args instanceof Tuple t)) throw error("REDUCE arguments are not a tuple");
                    push(reduce(fn, t.items()));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop(), cls = pop();
                    if (!(args instanceof Tuple t)) throw error("NEWOBJ arguments are not a tuple");
                    push(reduce(cls, t.items()));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    build(peek(), state);
                }
                case 'Q' -> push(persistent(pop())); // BINPERSID
                default -> throw error(String.format("unsupported pickle opcode 0x%02x", op));
            }
        }
    }

    private long longN(int n) throws CheckpointException {
        if (n == 0) return 0;
        if (n > 8) throw error("integer of " + n + " bytes does not fit 64 bits");
        byte[] b = bytes(n);
        long v = b[n - 1] < 0 ? -1L : 0L;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | (b[i] & 0xff);
        return v;
    }

    private long parseLong(String s) throws CheckpointException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw error("not an integer: '" + s + "'");
        }
    }

    private double parseDouble(String s) throws CheckpointException {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw error("not a float: '" + s + "'");
        }
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) throws CheckpointException {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw error("APPEND to something that is not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) throws CheckpointException {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw error("SETITEM on something that is not a dict");
    }

    private Object key(Object k) throws CheckpointException {
        if (k == null || k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double)
            return k;
        if (k instanceof Tuple) return k;
        throw error("unsupported dict key type " + k.getClass().getSimpleName());
    }

    private void putAll(Map<Object, Object> m, List<Object> items) throws CheckpointException {
        if (items.size() % 2 != 0) throw error("odd number of items for a dict");
        for (int i = 0; i < items.size(); i += 2) m.put(key(items.get(i)), items.get(i + 1));
    }

    private Global global(String module, String name) throws CheckpointException {
        String q = module + "." + name;
        if (module.equals("torch") && STORAGE_TYPES.contains(name)) return new Global(module, name);
        if (ALLOWED.contains(q)) return new Global(module, name);
        if (module.startsWith("models.")
                || module.startsWith("torch.nn")
                || module.startsWith("utils.")
                || name.equals("Model")) {
            throw new CheckpointException(
                    source + " stores a pickled model object (" + q + "), not a state dict; dydet reads only "
                            + "state dicts and never runs pickled code. Re-save it once with Python: "
                            + "python -c \"import torch; c = torch.load('IN.pt', map_location='cpu'); "
                            + "m = c['model'] if isinstance(c, dict) else c; torch.save({'model': m.float().state_dict()}, 'OUT.pt')\" "
                            + "(run inside the original repository so its classes import)");
        }
        throw new CheckpointException(
                source + ": refused to load global '" + q + "': not on dydet's allowlist (tensors, storages, "
                        + "OrderedDict and numpy scalars only); nothing was executed");
    }

    private Object reduce(Object fn, List<Object> args) throws CheckpointException {
        if (!(fn instanceof Global g)) throw error("REDUCE of something that is not an allowlisted global");
        switch (g.qualified()) {
            case "collections.OrderedDict" -> {
                LinkedHashMap<Object, Object> m = new LinkedHashMap<>();
                if (!args.isEmpty() && args.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        if (p instanceof Tuple t && t.items().size() == 2)
                            m.put(key(t.items().get(0)), t.items().get(1));
                        else if (p instanceof List<?> l && l.size() == 2) m.put(key(l.get(0)), l.get(1));
                    }
                }
                return m;
            }
            case "torch._utils._rebuild_tensor_v2" -> {
                if (args.size() < 4 || !(args.get(0) instanceof StorageRef s))
                    throw error("_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
                long offset = asLong(args.get(1), "storage offset");
                long[] size = longs(args.get(2), "size");
                long[] stride = longs(args.get(3), "stride");
                if (size.length != stride.length)
                    throw error("tensor size " + Arrays.toString(size) + " and stride " + Arrays.toString(stride)
                            + " differ in rank");
                return new TensorRef(s, offset, size, stride);
            }
            case "torch._utils._rebuild_parameter" -> {
                if (args.isEmpty() || !(args.get(0) instanceof TensorRef t))
                    throw error("_rebuild_parameter needs a tensor");
                return t;
            }
            case "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct" -> {
                return new NumpyArray();
            }
            case "numpy.dtype" -> {
                if (args.isEmpty() || !(args.get(0) instanceof String d))
                    throw error("numpy.dtype needs a type string");
                return new NumpyDtype(d);
            }
            case "_codecs.encode" -> {
                if (args.isEmpty() || !(args.get(0) instanceof String s)) throw error("_codecs.encode needs a string");
                String enc = args.size() > 1 ? String.valueOf(args.get(1)) : "utf-8";
                return s.getBytes(
                        enc.equalsIgnoreCase("latin1") || enc.equalsIgnoreCase("latin-1")
                                ? StandardCharsets.ISO_8859_1
                                : StandardCharsets.UTF_8);
            }
            case "torch.device" -> {
                return "device:" + (args.isEmpty() ? "" : String.valueOf(args.get(0)));
            }
            default -> throw error("global " + g.qualified() + " cannot be called");
        }
    }

    private void build(Object target, Object state) throws CheckpointException {
        if (target instanceof Map<?, ?>) return; // OrderedDict's _metadata: state-dict bookkeeping only
        if (target instanceof NumpyArray a) {
            if (!(state instanceof Tuple t) || t.items().size() < 5)
                throw error("numpy array state is not (version, shape, dtype, fortran, data)");
            a.shape = longs(t.items().get(1), "numpy shape");
            a.dtype = t.items().get(2) instanceof NumpyDtype d
                    ? d.descr()
                    : String.valueOf(t.items().get(2));
            Object raw = t.items().get(4);
            if (raw instanceof byte[] b) a.data = b;
            else if (raw instanceof String s) a.data = s.getBytes(StandardCharsets.ISO_8859_1);
            return;
        }
        if (target instanceof NumpyDtype) return;
        throw error("BUILD on an object dydet does not know");
    }

    private Object persistent(Object pid) throws CheckpointException {
        if (!(pid instanceof Tuple t)
                || t.items().size() < 5
                || !"storage".equals(t.items().get(0)))
            throw error("persistent id is not ('storage', type, key, location, numel)");
        if (!(t.items().get(1) instanceof Global g) || !g.module().equals("torch") || !STORAGE_TYPES.contains(g.name()))
            throw error("persistent id names no torch storage type");
        String key = String.valueOf(t.items().get(2));
        if (!key.matches("[A-Za-z0-9_.-]{1,64}")) throw error("storage key '" + key + "' is not a plain name");
        long numel = asLong(t.items().get(4), "storage size");
        if (numel < 0) throw error("negative storage size " + numel);
        return new StorageRef(g.name(), key, numel);
    }

    private long asLong(Object o, String what) throws CheckpointException {
        if (o instanceof Long l) return l;
        throw error(what + " is not an integer");
    }

    private long[] longs(Object o, String what) throws CheckpointException {
        List<Object> items = o instanceof Tuple t ? t.items() : o instanceof List<?> l ? new ArrayList<>(l) : null;
        if (items == null) throw error(what + " is not a tuple of integers");
        if (items.size() > 32) throw error(what + " has " + items.size() + " dimensions");
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) out[i] = asLong(items.get(i), what);
        return out;
    }
}
