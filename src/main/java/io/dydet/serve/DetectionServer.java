package io.dydet.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import io.dydet.infer.DetectSettings;
import io.dydet.infer.DetectionsJson;
import io.dydet.infer.Detector;
import io.dydet.infer.ImageDetections;
import io.dydet.json.Json;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * dydet's HTTP detection service: {@code POST /v1/detect}, {@code GET /v1/model}, {@code /healthz}, {@code /readyz},
 * {@code /metrics} (Prometheus) and a web page at {@code /}. Concurrent requests are micro-batched and every image in
 * a batch takes its own route. The server does not own the {@link Detector}: close the server, then the detector.
 */
public final class DetectionServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionServer.class);
    /** One line per request at INFO (method, path, status, milliseconds); off unless that logger's level allows it. */
    private static final Logger ACCESS = LoggerFactory.getLogger("dydet.access");

    private static final ObjectMapper JSON = Json.MAPPER;
    private static final String ENDPOINTS =
            "POST /v1/detect, GET /v1/model, GET /healthz, GET /readyz, GET /metrics, GET /";

    private final Detector detector;
    private final ServeSettings settings;
    private final ServeMetrics metrics;
    private final MicroBatcher batcher;
    private final Javalin app;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Detection requests received whose images are not queued yet: the batcher waits for them. */
    private final AtomicInteger arriving = new AtomicInteger();

    private final CountDownLatch closed = new CountDownLatch(1);
    private final byte[] modelJson;
    private volatile boolean ready;
    private volatile String notReadyReason = "warming up";
    private volatile boolean draining;
    /** Set once the warm-up has begun; close() then waits for it, so the detector is never closed under it. */
    private volatile boolean warmupStarted;

    private final CountDownLatch warmupDone = new CountDownLatch(1);
    /** Decoded pixels of requests in progress, in kilopixels: bounds the native memory of decoded images. */
    private final Semaphore pixelBudget;

    private DetectionServer(Detector detector, BatchRunner runner, ServeSettings settings) {
        this.detector = detector;
        this.settings = settings;
        if (detector.batchSize() < settings.maxBatch())
            throw new IllegalArgumentException("the detector's batch size " + detector.batchSize()
                    + " is below the service's max batch " + settings.maxBatch());
        MicroBatcher[] holder = new MicroBatcher[1];
        this.metrics = new ServeMetrics(() -> holder[0] == null ? 0 : holder[0].queued(), settings.maxBatch());
        this.batcher = new MicroBatcher(
                runner,
                settings.maxBatch(),
                settings.maxWaitMs(),
                settings.workers(),
                settings.queueDepth(),
                arriving::get,
                metrics::batch);
        holder[0] = batcher;
        this.modelJson = json(ModelDescription.of(detector, settings));
        this.pixelBudget = new Semaphore(kilopixels(settings.decodedPixelBudget()));
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.jetty.multipartConfig.maxFileSize(settings.maxBodyBytes(), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(settings.maxBodyBytes(), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize(
                    (int) Math.min(Integer.MAX_VALUE, settings.maxBodyBytes()), SizeUnit.BYTES);
            config.jetty.modifyServletContextHandler(h -> h.setMaxFormKeys(Uploads.MAX_PARTS));
            // unknown paths and wrong methods get the JSON errors of every other refusal, not Javalin's plain text
            config.http.prefer405over404 = true;
            config.routes.exception(HttpResponseException.class, this::unrouted);
            config.routes.get("/", ctx -> page(ctx, "index.html", "text/html; charset=utf-8"));
            config.routes.get("/app.js", ctx -> page(ctx, "app.js", "text/javascript; charset=utf-8"));
            config.routes.post("/v1/detect", ctx -> handle("detect", ctx, this::detect));
            config.routes.get(
                    "/v1/model",
                    ctx -> handle(
                            "model", ctx, c -> c.contentType("application/json").result(modelJson)));
            config.routes.get(
                    "/healthz",
                    ctx -> handle("healthz", ctx, c -> c.contentType("application/json")
                            .result(json(Map.of("status", "ok")))));
            config.routes.get("/readyz", ctx -> handle("readyz", ctx, this::readyz));
            config.routes.get(
                    "/metrics", ctx -> ctx.contentType(metrics.contentType()).result(metrics.scrape()));
        });
    }

    /**
     * Starts the service on the detector and returns once it listens; the warm-up runs in the background and
     * {@code /readyz} answers 200 when it is done.
     */
    public static DetectionServer start(Detector detector, ServeSettings settings) throws IOException {
        return start(detector, detector::detectDecoded, settings, r -> {
            Thread t = new Thread(r, "dydet-warmup");
            t.setDaemon(true);
            t.start();
        });
    }

    /** As {@link #start(Detector, ServeSettings)} with another backend and the warm-up run by {@code warmup}. */
    static DetectionServer start(Detector detector, BatchRunner runner, ServeSettings settings, Executor warmup)
            throws IOException {
        DetectionServer server = new DetectionServer(detector, runner, settings);
        try {
            server.app.start(settings.host(), settings.port());
        } catch (RuntimeException e) {
            server.batcher.close();
            throw new IOException(
                    "cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
        }
        warmup.execute(() -> server.warmUp(runner));
        return server;
    }

    public int port() {
        return app.port();
    }

    /** The address clients use, e.g. http://127.0.0.1:8080/. */
    public URI uri() {
        String host = settings.host().equals("0.0.0.0") ? "127.0.0.1" : settings.host();
        return URI.create("http://" + host + ":" + port() + "/");
    }

    /** True once the model is warmed up and until shutdown starts. */
    public boolean ready() {
        return ready && !draining;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    private void warmUp(BatchRunner runner) {
        synchronized (this) {
            if (draining) return; // closed before the warm-up got to run
            warmupStarted = true;
        }
        try {
            Images.loadOpenCv();
            int s = detector.imageSize();
            DetectSettings d = detector.defaults();
            for (int pass = 0; pass < settings.warmupPasses() && !draining; pass++) {
                for (float threshold : new float[] {0f, 1f}) { // 0: every image on route 1; 1: on route 2
                    Mat grey = new Mat(s, s, CvType.CV_8UC3, new Scalar(114, 114, 114));
                    try {
                        runner.run(List.of(grey), List.of("warm-up"), List.of(d.withRouterThreshold(threshold)));
                    } finally {
                        grey.release();
                    }
                }
            }
            if (!draining) {
                ready = true;
                LOG.info("warmed up ({} passes per route); ready at {}", settings.warmupPasses(), uri());
            }
        } catch (RuntimeException | Error e) {
            notReadyReason = "warm-up failed: " + e;
            LOG.error("warm-up failed; the service stays not ready", e);
        } finally {
            warmupDone.countDown();
        }
    }

    private interface Endpoint {
        void handle(Context ctx) throws Exception;
    }

    /** Runs an endpoint, answers its refusals as JSON errors and records the request in the metrics. */
    private void handle(String endpoint, Context ctx, Endpoint body) {
        long t0 = System.nanoTime();
        try {
            body.handle(ctx);
        } catch (ServeException e) {
            error(ctx, e);
        } catch (Exception e) {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, new ServeException(500, "internal", "internal error: " + e));
        } finally {
            double seconds = (System.nanoTime() - t0) / 1e9;
            metrics.request(endpoint, ctx.statusCode(), seconds);
            if (ACCESS.isInfoEnabled())
                ACCESS.info(
                        "{} {} {} {} {} ms",
                        ctx.ip(),
                        ctx.method(),
                        ctx.path(),
                        ctx.statusCode(),
                        String.format(Locale.ROOT, "%.1f", seconds * 1e3));
        }
    }

    /** Javalin's own refusals (no such endpoint, a method the path does not take, ...) in the service's error shape. */
    private void unrouted(HttpResponseException e, Context ctx) {
        ServeException refusal =
                switch (e.getStatus()) {
                    case 404 ->
                        new ServeException(
                                404,
                                "not_found",
                                "no endpoint " + ctx.method() + " " + ctx.path() + "; the service answers "
                                        + ENDPOINTS);
                    case 405 -> {
                        String allowed = String.join(", ", e.getDetails().values());
                        if (!allowed.isEmpty()) ctx.header("Allow", allowed);
                        yield new ServeException(
                                405,
                                "method_not_allowed",
                                ctx.method() + " is not allowed on " + ctx.path()
                                        + (allowed.isEmpty() ? "" : "; allowed: " + allowed));
                    }
                    default ->
                        new ServeException(e.getStatus(), "http_" + e.getStatus(), String.valueOf(e.getMessage()));
                };
        error(ctx, refusal);
        if (ACCESS.isInfoEnabled()) ACCESS.info("{} {} {} {}", ctx.ip(), ctx.method(), ctx.path(), ctx.statusCode());
    }

    private static void error(Context ctx, ServeException e) {
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("status", e.status());
        err.put("code", e.code());
        err.put("message", e.getMessage());
        if (e.retryAfterSeconds() != null) ctx.header("Retry-After", String.valueOf(e.retryAfterSeconds()));
        ctx.status(e.status()).contentType("application/json").result(json(Map.of("error", err)));
    }

    private void readyz(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", ready());
        if (!ready()) body.put("reason", draining ? "shutting down" : notReadyReason);
        ctx.status(ready() ? 200 : 503).contentType("application/json").result(json(body));
    }

    private void detect(Context ctx) throws IOException, InterruptedException {
        // counted before the check, so close() cannot miss a request that passed it
        inFlight.incrementAndGet();
        metrics.inFlight(1);
        Arrival arrival = new Arrival();
        try {
            if (draining) {
                Uploads.discard(ctx.bodyInputStream(), 4 * settings.maxBodyBytes());
                throw new ServeException(503, "shutting_down", "the service is shutting down", 5);
            }
            detectInFlight(ctx, arrival);
        } finally {
            arrival.done();
            metrics.inFlight(-1);
            inFlight.decrementAndGet();
        }
    }

    private static int kilopixels(long pixels) {
        return (int) Math.min(Integer.MAX_VALUE, (pixels + 999) / 1000);
    }

    /** A request on its way to the batcher, counted in {@link #arriving} until its images are queued or refused. */
    private final class Arrival {
        private boolean done;

        Arrival() {
            arriving.incrementAndGet();
        }

        void done() {
            if (!done) {
                done = true;
                arriving.decrementAndGet();
            }
        }
    }

    private void detectInFlight(Context ctx, Arrival arrival) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        List<Uploads.Upload> uploads = Uploads.read(ctx, settings);
        DetectSettings s = DetectParameters.parse(ctx.queryParamMap(), detector);
        // decoded images are large: admit the request's pixels (from the headers) against the server's budget first
        long pixels = 0;
        for (Uploads.Upload u : uploads)
            pixels += Images.decodedPixels(Images.headerDims(u.bytes()), settings.pixelLimit());
        if (pixels > settings.decodedPixelBudget()) {
            throw new ServeException(
                    413,
                    "too_many_pixels",
                    "the request's images hold " + pixels + " pixels; at most " + settings.decodedPixelBudget()
                            + " per request");
        }
        int permits = kilopixels(pixels);
        if (!pixelBudget.tryAcquire(permits, settings.requestTimeoutMs(), TimeUnit.MILLISECONDS)) {
            throw new ServeException(503, "queue_full", "the service is busy decoding other requests' images", 1);
        }
        try {
            detectAdmitted(ctx, arrival, uploads, s, t0);
        } finally {
            pixelBudget.release(permits);
        }
    }

    private void detectAdmitted(Context ctx, Arrival arrival, List<Uploads.Upload> uploads, DetectSettings s, long t0)
            throws InterruptedException {
        int n = uploads.size();
        ImageDetections[] results = new ImageDetections[n];
        MicroBatcher.Result[] batched = new MicroBatcher.Result[n];
        double[] decodeMs = new double[n];
        ServeException firstRefusal = null;
        List<Mat> mats = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                long d0 = System.nanoTime();
                try {
                    mats.add(
                            Images.decode(uploads.get(i).bytes(), uploads.get(i).name(), settings.pixelLimit()));
                    index.add(i);
                } catch (ImageException e) {
                    metrics.undecodable();
                    results[i] = ImageDetections.failed(uploads.get(i).name(), e.getMessage());
                    if (firstRefusal == null) firstRefusal = refusal(e);
                }
                decodeMs[i] = (System.nanoTime() - d0) / 1e6;
            }
        } catch (RuntimeException e) {
            for (Mat m : mats) m.release();
            throw e;
        }
        if (mats.isEmpty()) throw firstRefusal;
        List<CompletableFuture<MicroBatcher.Result>> futures;
        try {
            List<String> labels = index.stream().map(i -> uploads.get(i).name()).toList();
            futures = batcher.submit(mats, labels, Collections.nCopies(mats.size(), s));
        } catch (MicroBatcher.QueueFullException e) {
            throw new ServeException(503, "queue_full", "the service is busy: " + e.getMessage(), 1);
        } finally {
            arrival.done();
        }
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(settings.requestTimeoutMs());
        try {
            for (int k = 0; k < futures.size(); k++) {
                MicroBatcher.Result r =
                        futures.get(k).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                batched[index.get(k)] = r;
                results[index.get(k)] = r.detections();
            }
        } catch (TimeoutException | CancellationException e) {
            for (CompletableFuture<MicroBatcher.Result> f : futures) f.cancel(false);
            throw new ServeException(
                    504,
                    "timeout",
                    "detection did not finish within the request timeout of " + settings.requestTimeoutMs() + " ms");
        } catch (ExecutionException e) {
            throw new ServeException(500, "backend_failed", "detection failed: " + e.getCause());
        }
        List<Map<String, Object>> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Map<String, Object> row = DetectionsJson.row(uploads.get(i).name(), results[i]);
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("decode_ms", decodeMs[i]);
            if (batched[i] != null) {
                t.put("queue_ms", batched[i].queueMs());
                t.put("pre_ms", results[i].timings().preMs());
                t.put("model_ms", results[i].timings().modelMs());
                t.put("nms_ms", results[i].timings().nmsMs());
                row.put("batch", batched[i].batchSize());
            }
            row.put("timings", t);
            rows.add(row);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("images", rows);
        body.put("router_threshold", (double) s.routerThreshold());
        body.put("total_ms", (System.nanoTime() - t0) / 1e6);
        ctx.contentType("application/json").result(json(body));
    }

    private static ServeException refusal(ImageException e) {
        return switch (e.kind()) {
            case EMPTY -> new ServeException(400, "empty_image", e.getMessage());
            case UNSUPPORTED -> new ServeException(415, "unsupported_image", e.getMessage());
            case TOO_LARGE -> new ServeException(422, "too_many_pixels", e.getMessage());
            case CORRUPT, UNREADABLE -> new ServeException(422, "undecodable_image", e.getMessage());
        };
    }

    private static void page(Context ctx, String name, String type) throws IOException {
        try (InputStream in = DetectionServer.class.getResourceAsStream("web/" + name)) {
            if (in == null) throw new IllegalStateException("web/" + name + " missing from the jar");
            ctx.contentType(type).result(in.readAllBytes());
        }
    }

    static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Graceful shutdown: readiness turns false and new detection requests get 503 at once; requests in flight
     * finish (up to the shutdown timeout), then the batcher and the HTTP server stop.
     */
    @Override
    public void close() {
        if (closed.getCount() == 0) return;
        synchronized (this) {
            if (closed.getCount() == 0) return;
            draining = true;
            if (warmupStarted) {
                try {
                    warmupDone.await(Math.max(1, settings.shutdownTimeoutMs()), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.shutdownTimeoutMs());
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (inFlight.get() > 0)
                LOG.warn(
                        "{} requests still in flight after the shutdown timeout of {} ms",
                        inFlight.get(),
                        settings.shutdownTimeoutMs());
            batcher.close();
            app.stop();
            closed.countDown();
        }
    }
}
