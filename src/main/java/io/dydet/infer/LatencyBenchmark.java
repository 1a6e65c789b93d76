package io.dydet.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.model.Route;
import io.dydet.model.RoutedModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Times the model forward (no pre-processing, no NMS) per route: warm-up passes, then timed passes, each in its
 * own NDManager so native memory does not grow. Reports median, min and max seconds per batch.
 */
public final class LatencyBenchmark {
    /** Timing of one route. */
    public record Timing(Route route, double medianSeconds, double minSeconds, double maxSeconds, int batch) {
        public double imagesPerSecond() {
            return batch / medianSeconds;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("median_s", medianSeconds);
            m.put("min_s", minSeconds);
            m.put("max_s", maxSeconds);
            m.put("images_per_s", imagesPerSecond());
            return m;
        }
    }

    private LatencyBenchmark() {}

    /**
     * @param progress called after each pass with the number of passes done for this route (warm-up included)
     */
    public static Timing run(
            RoutedModel model,
            Route route,
            int batch,
            int height,
            int width,
            int warmup,
            int runs,
            IntConsumer progress) {
        if (runs < 1) throw new IllegalArgumentException("runs must be >= 1, got " + runs);
        double[] seconds = new double[runs];
        for (int i = 0; i < warmup + runs; i++) {
            try (NDManager pass = NDManager.newBaseManager(model.device())) {
                NDArray x = pass.randomUniform(0f, 1f, new Shape(batch, 3, height, width));
                long t0 = System.nanoTime();
                NDArray out = model.decode(x, route);
                out.toFloatArray(); // forces completion, also on asynchronous devices
                long t1 = System.nanoTime();
                if (i >= warmup) seconds[i - warmup] = (t1 - t0) / 1e9;
            }
            if (progress != null) progress.accept(i + 1);
        }
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
        return new Timing(route, median, sorted[0], sorted[runs - 1], batch);
    }

    public static List<Timing> runBoth(
            RoutedModel model, int batch, int size, int warmup, int runs, IntConsumer progress) {
        List<Timing> out = new ArrayList<>();
        for (Route r : Route.values()) out.add(run(model, r, batch, size, size, warmup, runs, progress));
        return out;
    }
}
