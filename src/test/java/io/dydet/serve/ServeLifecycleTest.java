package io.dydet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dydet.engine.Engines;
import io.dydet.infer.Detector;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Readiness, the bounded queue, timeouts, batches that mix settings, and graceful shutdown. */
class ServeLifecycleTest {
    @org.junit.jupiter.api.io.TempDir
    Path dir;

    static Detector detector;
    static List<Path> images;

    @BeforeAll
    static void model() throws Exception {
        Engines.start(2);
        detector = Http.detector(8);
        images = Http.images();
    }

    @AfterAll
    static void close() {
        if (detector != null) detector.close();
    }

    static ServeSettings settings() {
        return ServeSettings.defaults().withAddress("127.0.0.1", 0);
    }

    /** The real detector behind a gate: each batch waits for a permit, and the test sees when one is waiting. */
    static final class GatedRunner implements BatchRunner {
        final Semaphore permits = new Semaphore(0);
        final AtomicInteger waiting = new AtomicInteger();
        final List<Integer> batchSizes = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public List<io.dydet.infer.ImageDetections> run(
                List<org.opencv.core.Mat> bgr, List<String> labels, List<io.dydet.infer.DetectSettings> s) {
            waiting.incrementAndGet();
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                waiting.decrementAndGet();
            }
            batchSizes.add(bgr.size());
            return detector.detectDecoded(bgr, labels, s);
        }

        void awaitWaiting(int n) throws InterruptedException {
            for (int i = 0; i < 1000 && waiting.get() < n; i++) Thread.sleep(10);
            assertEquals(n, waiting.get(), "batches waiting at the gate");
        }
    }

    static CompletableFuture<HttpResponse<String>> postAsync(DetectionServer server, String query, Path image) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Http.postImage(server.uri(), query, image);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void notReadyUntilTheWarmUpHasRun() throws Exception {
        List<Runnable> warmups = new ArrayList<>();
        GatedRunner runner = new GatedRunner();
        runner.permits.release(1000);
        try (DetectionServer server =
                DetectionServer.start(detector, runner, settings().withShutdown(5000, 1), warmups::add)) {
            HttpResponse<String> r = Http.get(server.uri(), "readyz");
            assertEquals(503, r.statusCode());
            assertFalse(Http.json(r).get("ready").asBoolean());
            assertEquals("warming up", Http.json(r).get("reason").asText());
            assertEquals(200, Http.get(server.uri(), "healthz").statusCode(), "alive while warming up");
            assertEquals(1, warmups.size());
            warmups.get(0).run();
            assertEquals(List.of(1, 1), runner.batchSizes, "one warm-up pass per route");
            assertEquals(200, Http.get(server.uri(), "readyz").statusCode());
            assertTrue(server.ready());
        }
    }

    @Test
    void aFailedWarmUpKeepsTheServiceNotReadyAndSaysWhy() throws Exception {
        BatchRunner broken = (bgr, labels, s) -> {
            throw new IllegalStateException("backend exploded");
        };
        try (DetectionServer server = DetectionServer.start(detector, broken, settings(), Runnable::run)) {
            HttpResponse<String> r = Http.get(server.uri(), "readyz");
            assertEquals(503, r.statusCode());
            assertTrue(Http.json(r).get("reason").asText().contains("backend exploded"), r.body());
            JsonNode e = Http.error(Http.postImage(server.uri(), "", images.get(0)), 500);
            assertEquals("backend_failed", e.get("code").asText());
        }
    }

    @Test
    void aFullQueueAnswers503WithRetryAfter() throws Exception {
        GatedRunner runner = new GatedRunner();
        ServeSettings s = settings()
                .withBatching(1, 0, 1)
                .withLimits(2, 60_000, 32L << 20, 2, 40_000_000L)
                .withShutdown(5000, 0);
        try (DetectionServer server = DetectionServer.start(detector, runner, s, Runnable::run)) {
            CompletableFuture<HttpResponse<String>> running = postAsync(server, "", images.get(0));
            runner.awaitWaiting(1); // taken by the worker: the queue is empty again
            List<CompletableFuture<HttpResponse<String>>> queued =
                    List.of(postAsync(server, "", images.get(1)), postAsync(server, "", images.get(2)));
            for (int i = 0; i < 500 && !Http.get(server.uri(), "metrics").body().contains("dydet_queue_depth 2.0"); i++)
                Thread.sleep(10);
            HttpResponse<String> refused = Http.postImage(server.uri(), "", images.get(3));
            JsonNode e = Http.error(refused, 503);
            assertEquals("queue_full", e.get("code").asText());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            runner.permits.release(100);
            assertEquals(200, running.get(60, TimeUnit.SECONDS).statusCode());
            for (CompletableFuture<HttpResponse<String>> q : queued)
                assertEquals(200, q.get(60, TimeUnit.SECONDS).statusCode());
            assertEquals(
                    200,
                    Http.postImage(server.uri(), "", images.get(3)).statusCode(),
                    "served again once the queue drained");
        }
    }

    @Test
    void aRequestOverItsTimeoutGets504AndItsImagesAreDropped() throws Exception {
        GatedRunner runner = new GatedRunner();
        ServeSettings s = settings()
                .withBatching(1, 0, 1)
                .withLimits(8, 300, 32L << 20, 8, 40_000_000L)
                .withShutdown(5000, 0);
        try (DetectionServer server = DetectionServer.start(detector, runner, s, Runnable::run)) {
            CompletableFuture<HttpResponse<String>> first = postAsync(server, "", images.get(0));
            runner.awaitWaiting(1);
            JsonNode e = Http.error(
                    Http.postImage(server.uri(), "", images.get(1)), 504); // queued behind the gate past 300 ms
            assertEquals("timeout", e.get("code").asText());
            Http.error(first.get(60, TimeUnit.SECONDS), 504);
            runner.permits.release(100);
            for (int i = 0; i < 500 && Http.get(server.uri(), "metrics").body().contains("dydet_queue_depth 1.0"); i++)
                Thread.sleep(10);
            Thread.sleep(200);
            assertEquals(List.of(1), runner.batchSizes, "the timed-out queued image never ran");
        }
    }

    @Test
    void imagesWithDifferentSettingsShareABatchAndEachTakesItsOwnRoute() throws Exception {
        GatedRunner runner = new GatedRunner();
        ServeSettings s = settings().withBatching(8, 5, 1).withShutdown(5000, 0);
        Path img = images.get(0);
        try (DetectionServer server = DetectionServer.start(detector, runner, s, Runnable::run)) {
            // a first request holds the worker at the gate while the two under test queue up behind it
            CompletableFuture<HttpResponse<String>> plug = postAsync(server, "", images.get(1));
            runner.awaitWaiting(1);
            CompletableFuture<HttpResponse<String>> easy = postAsync(server, "dy_thres=0&conf=0.5", img);
            CompletableFuture<HttpResponse<String>> hard = postAsync(server, "dy_thres=1&conf=0.3", img);
            for (int i = 0; i < 500 && !Http.get(server.uri(), "metrics").body().contains("dydet_queue_depth 2.0"); i++)
                Thread.sleep(10);
            runner.permits.release(100);
            assertEquals(200, plug.get(60, TimeUnit.SECONDS).statusCode());
            JsonNode a = Http.json(easy.get(60, TimeUnit.SECONDS)).get("images").get(0);
            JsonNode b = Http.json(hard.get(60, TimeUnit.SECONDS)).get("images").get(0);
            assertEquals(List.of(1, 2), runner.batchSizes);
            assertEquals(2, a.get("batch").asInt());
            assertEquals(1, a.get("route").asInt());
            assertEquals(2, b.get("route").asInt());
            for (JsonNode d : a.get("detections"))
                assertTrue(d.get("confidence").asDouble() > 0.5);
            Http.assertSame(
                    "route 1",
                    detector.detectDecoded(
                                    List.of(io.dydet.data.Images.read(img, Long.MAX_VALUE)),
                                    List.of("x"),
                                    List.of(detector.defaults()
                                            .withRouterThreshold(0f)
                                            .withConfidence(0.5f)))
                            .get(0),
                    a,
                    1e-2,
                    1e-4);
            Http.assertSame(
                    "route 2",
                    detector.detectDecoded(
                                    List.of(io.dydet.data.Images.read(img, Long.MAX_VALUE)),
                                    List.of("x"),
                                    List.of(detector.defaults()
                                            .withRouterThreshold(1f)
                                            .withConfidence(0.3f)))
                            .get(0),
                    b,
                    1e-2,
                    1e-4);
        }
    }

    @Test
    void shutdownFinishesRequestsInFlightAndRefusesNewOnes() throws Exception {
        GatedRunner runner = new GatedRunner();
        ServeSettings s = settings().withBatching(1, 0, 1).withShutdown(30_000, 0);
        DetectionServer server = DetectionServer.start(detector, runner, s, Runnable::run);
        java.net.URI uri = server.uri();
        CompletableFuture<HttpResponse<String>> inFlight = postAsync(server, "", images.get(0));
        runner.awaitWaiting(1);
        CountDownLatch closed = new CountDownLatch(1);
        Thread closer = new Thread(() -> {
            server.close();
            closed.countDown();
        });
        closer.start();
        for (int i = 0; i < 500 && server.ready(); i++) Thread.sleep(10);
        assertFalse(server.ready());
        HttpResponse<String> r = Http.get(uri, "readyz");
        assertEquals(503, r.statusCode());
        assertEquals("shutting down", Http.json(r).get("reason").asText());
        JsonNode e = Http.error(Http.postImage(uri, "", images.get(1)), 503);
        assertEquals("shutting_down", e.get("code").asText());
        assertFalse(closed.await(200, TimeUnit.MILLISECONDS), "close() waits for the request in flight");
        runner.permits.release(100);
        HttpResponse<String> done = inFlight.get(60, TimeUnit.SECONDS);
        assertEquals(200, done.statusCode(), done.body());
        Http.assertSame(
                "in flight",
                detector.detect(images.get(0)),
                Http.json(done).get("images").get(0),
                1e-3,
                1e-5);
        assertTrue(closed.await(30, TimeUnit.SECONDS));
        assertThrows(IOException.class, () -> Http.get(uri, "healthz"), "stopped listening");
    }

    @Test
    void aTakenPortIsAClearError() throws Exception {
        try (DetectionServer first = DetectionServer.start(detector, detector::detectDecoded, settings(), r -> {})) {
            IOException e = assertThrows(
                    IOException.class,
                    () -> DetectionServer.start(
                            detector,
                            detector::detectDecoded,
                            settings().withAddress("127.0.0.1", first.port()),
                            r -> {}));
            assertTrue(e.getMessage().contains(String.valueOf(first.port())), e.getMessage());
        }
    }

    @Test
    void closeWaitsForARunningWarmUpAndStopsItEarly() throws Exception {
        GatedRunner runner = new GatedRunner();
        Thread[] warm = new Thread[1];
        DetectionServer server =
                DetectionServer.start(detector, runner, settings().withShutdown(30_000, 5), r -> {
                    warm[0] = new Thread(r);
                    warm[0].start();
                });
        runner.awaitWaiting(1); // the warm-up's first pass is inside the backend
        CountDownLatch closed = new CountDownLatch(1);
        new Thread(() -> {
                    server.close();
                    closed.countDown();
                })
                .start();
        assertFalse(
                closed.await(300, TimeUnit.MILLISECONDS), "close() must not free the detector under a running warm-up");
        runner.permits.release(100);
        assertTrue(closed.await(30, TimeUnit.SECONDS));
        warm[0].join(10_000);
        assertFalse(warm[0].isAlive());
        assertTrue(
                runner.batchSizes.size() < 10,
                "the warm-up stopped early: " + runner.batchSizes.size() + " of 10 passes");
        assertFalse(server.ready());
    }

    @Test
    void aRequestWithMorePixelsThanTheDecodeBudgetIsRefusedBeforeDecoding() throws Exception {
        // pixel limit 1 M: the decode budget is 8 M pixels; nine 1000 x 1000 headers exceed it
        ServeSettings s =
                settings().withLimits(16, 60_000, 32L << 20, 16, 1_000_000L).withShutdown(5000, 0);
        try (DetectionServer server = DetectionServer.start(detector, detector::detectDecoded, s, Runnable::run)) {
            Path header = Files.write(dir.resolve("big.png"), io.dydet.testing.TestImages.pngHeader(1000, 1000));
            JsonNode e =
                    Http.error(Http.postMultipart(server.uri(), "", java.util.Collections.nCopies(9, header)), 413);
            assertEquals("too_many_pixels", e.get("code").asText());
            assertTrue(e.get("message").asText().contains("9000000"), e.toString());
            // eight fit the budget; each is then refused on its own as undecodable
            Http.error(Http.postMultipart(server.uri(), "", java.util.Collections.nCopies(8, header)), 422);
        }
    }

    @Test
    void settingsWhereARequestCouldNeverBeQueuedAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServeSettings.defaults()
                .withLimits(8, 1000, 1 << 20, 16, 1_000_000L));
        assertTrue(e.getMessage().contains("queue depth 8"), e.getMessage());
    }
}
