package io.dydet.infer;

import io.dydet.model.Route;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Images per second through the whole detect path (decode, letterbox, model with per-image routing, NMS). */
public final class EndToEndBenchmark {
    /** Per-round throughput and where the time went (per image, averaged over all rounds). */
    public record Result(
            List<Double> imagesPerSecond,
            double route1Share,
            double preMs,
            double modelMs,
            double nmsMs,
            int images,
            int batch) {
        public double medianImagesPerSecond() {
            double[] s = imagesPerSecond.stream()
                    .mapToDouble(Double::doubleValue)
                    .sorted()
                    .toArray();
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("images", images);
            m.put("images_per_s_median", medianImagesPerSecond());
            m.put("images_per_s_rounds", imagesPerSecond);
            m.put("route1_share", route1Share);
            m.put("pre_ms", preMs);
            m.put("model_ms", modelMs);
            m.put("nms_ms", nmsMs);
            return m;
        }
    }

    private EndToEndBenchmark() {}

    public static Result run(Detector detector, List<Path> files, int rounds) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        detector.detect(files); // warm-up: first-use costs of the engine and the decoders
        List<Double> ips = new ArrayList<>();
        int easy = 0, ok = 0;
        double pre = 0, model = 0, nms = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            List<ImageDetections> out = detector.detect(files);
            double s = (System.nanoTime() - t0) / 1e9;
            ips.add(files.size() / s);
            for (ImageDetections d : out) {
                if (!d.ok()) continue;
                ok++;
                if (d.route() == Route.ROUTE1) easy++;
                pre += d.timings().preMs();
                model += d.timings().modelMs();
                nms += d.timings().nmsMs();
            }
        }
        int n = Math.max(ok, 1);
        return new Result(ips, (double) easy / n, pre / n, model / n, nms / n, files.size(), 0);
    }
}
