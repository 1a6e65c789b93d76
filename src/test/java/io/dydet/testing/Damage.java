package io.dydet.testing;

import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.TensorEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;

/** Copies of valid weight files with a few bytes changed at a known place: what the loaders must refuse. */
public final class Damage {
    /** IEEE half-precision bit patterns of the non-finite values (Java 17 has no Float.floatToFloat16). */
    public static final short F16_NAN = 0x7e00, F16_INF = 0x7c00, F16_NEG_INF = (short) 0xfc00;

    private Damage() {}

    /**
     * Copies a safetensors file with elements {@code indices} of F16 tensor {@code tensor} set to the bit pattern
     * {@code f16}; names, shapes and metadata stay as they were.
     */
    public static Path safetensorsF16(Path from, Path to, String tensor, short f16, int... indices) throws IOException {
        TensorEntry e;
        try (SafeTensorsFile f = SafeTensors.open(from)) {
            e = f.entry(tensor).orElseThrow(() -> new IllegalArgumentException(tensor + " not in " + from));
        }
        if (!e.dtype().equals("F16")) throw new IllegalArgumentException(tensor + " is " + e.dtype() + ", not F16");
        byte[] b = Files.readAllBytes(from);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long dataStart = 8 + buf.getLong(0);
        for (int i : indices) buf.putShort((int) (dataStart + e.begin() + 2L * i), f16);
        Files.write(to, b);
        return to;
    }

    /**
     * Copies a zip (a torch.save checkpoint) with {@code bytes} written {@code at} bytes into entry {@code entry}'s
     * stored data. With {@code fixCrc} the CRC-32 records (central directory, data descriptor) are updated to match, as
     * a writer that saved such values would have them; without, the copy is a damaged file.
     */
    public static Path zipEntry(Path from, Path to, String entry, long at, byte[] bytes, boolean fixCrc)
            throws IOException {
        return zipEntry(from, to, entry, at, bytes, null, fixCrc);
    }

    /** Copies a zip with one bit flipped {@code at} bytes into entry {@code entry}'s data, its CRC records left as they were. */
    public static Path zipEntryFlip(Path from, Path to, String entry, long at) throws IOException {
        return zipEntry(from, to, entry, at, null, new byte[] {0x10}, false);
    }

    private static Path zipEntry(Path from, Path to, String entry, long at, byte[] bytes, byte[] xor, boolean fixCrc)
            throws IOException {
        byte[] z = Files.readAllBytes(from);
        ByteBuffer buf = ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN);
        int cen = centralRecord(z, buf, entry);
        long size = Integer.toUnsignedLong(buf.getInt(cen + 20));
        int loc = buf.getInt(cen + 42);
        int data = loc + 30 + Short.toUnsignedInt(buf.getShort(loc + 26)) + Short.toUnsignedInt(buf.getShort(loc + 28));
        int n = bytes != null ? bytes.length : xor.length;
        if (at < 0 || at + n > size) throw new IllegalArgumentException(entry + " holds " + size + " bytes");
        for (int i = 0; i < n; i++) {
            int p = (int) (data + at) + i;
            z[p] = bytes != null ? bytes[i] : (byte) (z[p] ^ xor[i]);
        }
        if (fixCrc) {
            CRC32 crc = new CRC32();
            crc.update(z, data, (int) size);
            int value = (int) crc.getValue();
            buf.putInt(cen + 16, value);
            if ((buf.getShort(loc + 6) & 8) != 0) {
                int desc = (int) (data + size);
                buf.putInt(buf.getInt(desc) == 0x08074b50 ? desc + 4 : desc, value);
            } else {
                buf.putInt(loc + 14, value);
            }
        }
        Files.write(to, z);
        return to;
    }

    private static int centralRecord(byte[] z, ByteBuffer buf, String entry) {
        byte[] name = entry.getBytes(StandardCharsets.UTF_8);
        for (int i = z.length - 46 - name.length; i >= 0; i--) {
            if (buf.getInt(i) == 0x02014b50
                    && Short.toUnsignedInt(buf.getShort(i + 28)) == name.length
                    && Arrays.equals(z, i + 46, i + 46 + name.length, name, 0, name.length)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no central directory record for " + entry);
    }
}
