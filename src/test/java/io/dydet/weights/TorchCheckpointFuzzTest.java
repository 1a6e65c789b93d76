package io.dydet.weights;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of a small valid checkpoint, aimed at the pickle and the zip structure (mutating tensor bytes
 * proves nothing): every case ends in a clean load or a CheckpointException, never another exception type, an
 * OutOfMemoryError or a hang.
 */
class TorchCheckpointFuzzTest {
    @TempDir
    Path dir;

    static byte[] validPickle() {
        PickleBuilder p = new PickleBuilder().proto().op('}').op('(');
        p.str("epoch").integer(-1);
        p.str("model").global("collections", "OrderedDict").op(')').op('R').op('(');
        p.str("conv.weight").tensor("HalfStorage", "0", 12, 0, new long[] {2, 2, 3}, new long[] {6, 3, 1});
        p.str("bn.num_batches_tracked").tensor("LongStorage", "1", 1, 0, new long[] {}, new long[] {});
        p.str("view").tensor("FloatStorage", "2", 8, 1, new long[] {2, 3}, new long[] {1, 2});
        p.op('u').op('}').str("_metadata").op('}').op('s').op('b');
        p.str("updates").op('N');
        p.op('u').op('.');
        return p.bytes();
    }

    static Map<String, byte[]> storages() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("0", new byte[24]);
        s.put("1", new byte[] {22, 0, 0, 0, 0, 0, 0, 0});
        s.put("2", PickleBuilder.floats(0, 1, 2, 3, 4, 5, 6, 7));
        return s;
    }

    private static byte[] mutate(byte[] src, SplittableRandom rng) {
        byte[] b = src.clone();
        switch (rng.nextInt(6)) {
            case 0 -> { // bit flips
                for (int k = 0, n = 1 + rng.nextInt(4); k < n; k++)
                    b[rng.nextInt(b.length)] ^= (byte) (1 << rng.nextInt(8));
            }
            case 1 -> b[rng.nextInt(b.length)] = (byte) rng.nextInt(256); // random byte
            case 2 -> { // truncation
                b = java.util.Arrays.copyOf(b, rng.nextInt(b.length));
            }
            case 3 -> { // delete a run
                int at = rng.nextInt(b.length), len = Math.min(b.length - at, 1 + rng.nextInt(8));
                byte[] c = new byte[b.length - len];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + len, c, at, b.length - at - len);
                b = c;
            }
            case 4 -> { // insert random bytes / an opcode
                int at = rng.nextInt(b.length + 1), len = 1 + rng.nextInt(6);
                byte[] c = new byte[b.length + len];
                System.arraycopy(b, 0, c, 0, at);
                for (int k = 0; k < len; k++) c[at + k] = (byte) rng.nextInt(256);
                System.arraycopy(b, at, c, at + len, b.length - at);
                b = c;
            }
            default -> { // large length prefixes, the classic allocation bomb
                int at = rng.nextInt(Math.max(1, b.length - 4));
                b[at] = (byte) 0xff;
                if (at + 3 < b.length) b[at + 3] = (byte) 0x7f;
            }
        }
        return b;
    }

    private static void attempt(Path f, NDManager root) {
        try (TorchCheckpoint c = TorchCheckpoint.open(f);
                NDManager m = root.newSubManager()) {
            c.metadata();
            c.stateDict(m);
        } catch (CheckpointException expected) {
            // dydet's own error: fine
        }
    }

    @Test
    void mutatedCheckpointsLoadOrFailCleanly() throws Exception {
        Engines.start(2);
        byte[] pickle = validPickle();
        Path valid = dir.resolve("valid.pt");
        PickleBuilder.writeZip(valid, "archive", pickle, storages());
        byte[] zipBytes = Files.readAllBytes(valid);
        int[] counts = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (NDManager root = NDManager.newBaseManager(Device.cpu())) {
                attempt(valid, root); // the unmutated file loads
                try (TorchCheckpoint c = TorchCheckpoint.open(valid)) {
                    assertTrue(c.stateDict(root).size() == 3);
                }
                SplittableRandom rng = new SplittableRandom(20261128);
                for (int i = 0; i < 3000; i++) {
                    Path f = dir.resolve("case.pt");
                    if (i % 3 == 2) {
                        // zip structure: mutate local/central headers (outside the stored data)
                        byte[] z = zipBytes.clone();
                        int region = rng.nextInt(2);
                        int at = region == 0
                                ? rng.nextInt(Math.min(60, z.length))
                                : z.length - 1 - rng.nextInt(Math.min(200, z.length));
                        z[at] = (byte) rng.nextInt(256);
                        if (rng.nextBoolean()) z[rng.nextInt(z.length)] ^= (byte) 0x40;
                        Files.write(f, z);
                        counts[1]++;
                    } else {
                        PickleBuilder.writeZip(f, "archive", mutate(pickle, rng), storages());
                        counts[0]++;
                    }
                    try {
                        attempt(f, root);
                    } catch (Throwable t) {
                        throw new AssertionError("case " + i + " (seed 20261128): " + t, t);
                    }
                }
            }
        });
        assertTrue(counts[0] >= 1900 && counts[1] >= 900);
    }
}
