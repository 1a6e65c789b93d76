package io.dydet.serve;

import io.dydet.infer.Detector;
import io.dydet.json.Json;
import io.dydet.model.Route;
import io.dydet.model.ThresholdTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The body of {@code GET /v1/model}: what a client needs to know to call the service and read its answers. */
final class ModelDescription {
    private ModelDescription() {}

    static Map<String, Object> of(Detector detector, ServeSettings settings) {
        int s = detector.imageSize();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", detector.artifact().modelName());
        m.put("classes", detector.classNames());
        m.put("image_size", s);
        m.put("strides", detector.artifact().strides());
        m.put("dynamic", detector.network().isDynamic());
        m.put("backend", detector.backend().cliName());
        m.put("precision", detector.precision().cliName());
        Map<String, Object> gflops = new LinkedHashMap<>();
        gflops.put("route1", detector.gflops(Route.ROUTE1, s, s));
        gflops.put("route2", detector.gflops(Route.ROUTE2, s, s));
        m.put("gflops", gflops);
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("dy_thres", (double) detector.routerThreshold());
        defaults.put("conf", (double) detector.defaults().nms().confidence());
        defaults.put("iou", (double) detector.defaults().nms().iou());
        m.put("defaults", defaults);
        ThresholdTable table = detector.artifact().thresholds();
        try {
            m.put("calibration", table == null ? null : Json.MAPPER.readTree(table.toJson()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> batching = new LinkedHashMap<>();
        batching.put("max_batch", settings.maxBatch());
        batching.put("max_wait_ms", settings.maxWaitMs());
        batching.put("workers", settings.workers());
        batching.put("queue_depth", settings.queueDepth());
        m.put("batching", batching);
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("max_body_bytes", settings.maxBodyBytes());
        limits.put("max_images_per_request", settings.maxImagesPerRequest());
        limits.put("pixel_limit", settings.pixelLimit());
        limits.put("request_timeout_ms", settings.requestTimeoutMs());
        m.put("limits", limits);
        return m;
    }
}
