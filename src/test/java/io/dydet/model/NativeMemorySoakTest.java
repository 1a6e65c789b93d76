package io.dydet.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.engine.Engines;
import io.dydet.testing.Golden;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * After 200 warm-up passes (the allocator's arenas and the Java heap settle by then), 500 dynamic forward passes (batches of 4 that mix both routes, deploy form, one NDManager per pass) keep the
 * process's resident memory flat: every sample after warm-up stays within 5% of the resident size at the end of
 * warm-up. Resident size is VmRSS from /proc/self/status, which counts native (libtorch) memory too.
 */
class NativeMemorySoakTest {
    static long residentKiB() throws IOException {
        long bytes = io.dydet.engine.ProcessMemory.residentBytes();
        if (bytes < 0) throw new IllegalStateException("no VmRSS in /proc/self/status");
        return bytes / 1024;
    }

    @Test
    void fiveHundredForwardPassesKeepResidentMemoryFlat() throws IOException {
        Engines.start(2);
        try (Golden g = Golden.open("dy-yolov7-w025");
                NDManager root = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = g.model(root.newSubManager()).fuse(root.newSubManager());
            int warmup = 200, passes = 500;
            long atWarmup = 0;
            List<Long> samples = new ArrayList<>();
            List<Long> heap = new ArrayList<>();
            for (int i = 0; i < warmup + passes; i++) {
                try (NDManager pass = root.newSubManager()) {
                    NDArray x = pass.randomUniform(0f, 1f, new Shape(4, 3, 96, 128));
                    float[] s = model.routerScores(x).toFloatArray();
                    float[] sorted = s.clone();
                    java.util.Arrays.sort(sorted);
                    RoutedOutput out = model.forward(x, (sorted[1] + sorted[2]) / 2);
                    out.decoded().toFloatArray();
                }
                if (i == warmup - 1) atWarmup = residentKiB();
                if (i >= warmup && (i - warmup) % 50 == 49) {
                    samples.add(residentKiB());
                    heap.add(Runtime.getRuntime().totalMemory() >> 20);
                }
            }
            long max = samples.stream().mapToLong(Long::longValue).max().orElseThrow();
            String report = "RSS at warm-up " + atWarmup / 1024 + " MiB, samples every 50 passes (MiB): "
                    + samples.stream().map(v -> String.valueOf(v / 1024)).toList() + "; Java heap committed (MiB): "
                    + heap;
            System.out.println(report);
            assertTrue(max <= atWarmup * 1.05, report);
        }
    }
}
