package io.dydet.weights;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes pickle opcodes and torch.save-style zip files by hand, for tests. */
final class PickleBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBuilder op(int b) {
        out.write(b);
        return this;
    }

    PickleBuilder proto() {
        return op(0x80).op(2);
    }

    PickleBuilder global(String module, String name) {
        op('c');
        byte[] s = (module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(s, 0, s.length);
        return this;
    }

    PickleBuilder str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X').i32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    PickleBuilder i32(int v) {
        for (int i = 0; i < 4; i++) out.write((v >>> (8 * i)) & 0xff);
        return this;
    }

    PickleBuilder integer(long v) {
        if (v >= 0 && v < 256) return op('K').op((int) v);
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) return op('J').i32((int) v);
        op(0x8a).op(8);
        for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)) & 0xff);
        return this;
    }

    PickleBuilder tuple(long... values) {
        op('(');
        for (long v : values) integer(v);
        return op('t');
    }

    /** _rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict()). */
    PickleBuilder tensor(String storageType, String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        op('(');
        op('(').str("storage")
                .global("torch", storageType)
                .str(key)
                .str("cpu")
                .integer(numel)
                .op('t')
                .op('Q');
        integer(offset);
        tuple(size);
        tuple(stride);
        op(0x89);
        global("collections", "OrderedDict").op(')').op('R');
        op('t').op('R');
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** A checkpoint zip: root/data.pkl, root/version and root/data/<key> entries, stored like torch.save. */
    static void writeZip(Path file, String root, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(root + "/data.pkl", pickle);
        storages.forEach((k, v) -> entries.put(root + "/data/" + k, v));
        entries.put(root + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        try (OutputStream fo = Files.newOutputStream(file);
                ZipOutputStream z = new ZipOutputStream(fo)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
    }

    static byte[] floats(float... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }
}
