package io.dydet.serve;

import io.dydet.model.Route;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.stream.IntStream;

/**
 * The service's Prometheus metrics, in their own registry (several servers in one JVM do not mix): requests by
 * endpoint and status, request latency, images per route, batch sizes, queue depth and requests in flight.
 */
final class ServeMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Histogram latency;
    private final Counter images;
    private final Histogram batchSize;
    private final Gauge inFlight;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    ServeMetrics(IntSupplier queueDepth, int maxBatch) {
        requests = Counter.builder()
                .name("dydet_http_requests_total")
                .help("HTTP requests by endpoint and status")
                .labelNames("endpoint", "status")
                .register(registry);
        latency = Histogram.builder()
                .name("dydet_http_request_duration_seconds")
                .help("HTTP request latency by endpoint")
                .labelNames("endpoint")
                .classicOnly()
                .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
                .register(registry);
        images = Counter.builder()
                .name("dydet_images_total")
                .help("images detected, by the route they took (error: not decodable)")
                .labelNames("route")
                .register(registry);
        batchSize = Histogram.builder()
                .name("dydet_batch_size")
                .help("images per micro-batch (the forward passes group them by letterboxed shape)")
                .classicOnly()
                .classicUpperBounds(batchBounds(maxBatch))
                .register(registry);
        inFlight = Gauge.builder()
                .name("dydet_requests_in_flight")
                .help("detection requests being handled")
                .register(registry);
        GaugeWithCallback.builder()
                .name("dydet_queue_depth")
                .help("images waiting for a batch")
                .callback(cb -> cb.call(queueDepth.getAsInt()))
                .register(registry);
        // every series exists from the start, so dashboards see zeros rather than gaps
        images.labelValues("1");
        images.labelValues("2");
        images.labelValues("error");
    }

    private static double[] batchBounds(int maxBatch) {
        return IntStream.rangeClosed(1, Math.max(1, maxBatch)).asDoubleStream().toArray();
    }

    void request(String endpoint, int status, double seconds) {
        requests.labelValues(endpoint, String.valueOf(status)).inc();
        latency.labelValues(endpoint).observe(seconds);
    }

    void batch(List<MicroBatcher.Result> results) {
        batchSize.observe(results.size());
        for (MicroBatcher.Result r : results) {
            if (r.detections().ok())
                images.labelValues(r.detections().route() == Route.ROUTE1 ? "1" : "2")
                        .inc();
            else images.labelValues("error").inc();
        }
    }

    void undecodable() {
        images.labelValues("error").inc();
    }

    void inFlight(int delta) {
        inFlight.inc(delta);
    }

    String contentType() {
        return writer.getContentType();
    }

    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
