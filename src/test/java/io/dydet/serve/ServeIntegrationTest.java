package io.dydet.serve;

import static io.dydet.serve.Http.assertSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dydet.engine.Engines;
import io.dydet.infer.Detector;
import io.dydet.infer.ImageDetections;
import io.dydet.model.Route;
import io.dydet.testing.TestImages;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dydet serve over real HTTP on loopback, against the library API on the same model and images. */
class ServeIntegrationTest {
    /** Splits the test images between the routes: their easiness scores lie on both sides of it. */
    static final float SPLIT = 0.526f;

    static Detector detector;
    static DetectionServer server;
    static URI base;
    static List<Path> images;

    @BeforeAll
    static void start() throws Exception {
        Engines.start(2);
        detector = Http.detector(8);
        ServeSettings settings = ServeSettings.defaults()
                .withAddress("127.0.0.1", 0)
                .withBatching(8, 5, 1)
                .withLimits(64, 60_000, 2L << 20, 8, 4_000_000L);
        server = DetectionServer.start(detector, settings);
        base = server.uri();
        images = Http.images();
        for (int i = 0; i < 600 && !server.ready(); i++) Thread.sleep(100);
        assertTrue(server.ready(), "not ready after a minute");
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (detector != null) detector.close();
    }

    @Test
    void healthAndModelDescription() throws Exception {
        HttpResponse<String> h = Http.get(base, "healthz");
        assertEquals(200, h.statusCode());
        assertEquals("ok", Http.json(h).get("status").asText());
        HttpResponse<String> r = Http.get(base, "readyz");
        assertEquals(200, r.statusCode());
        assertTrue(Http.json(r).get("ready").asBoolean());
        JsonNode m = Http.json(Http.get(base, "v1/model"));
        assertEquals(80, m.get("classes").size());
        assertEquals("person", m.get("classes").get(0).asText());
        assertEquals(Http.IMAGE_SIZE, m.get("image_size").asInt());
        assertEquals(
                detector.gflops(Route.ROUTE1, Http.IMAGE_SIZE, Http.IMAGE_SIZE),
                m.at("/gflops/route1").asDouble(),
                1e-9);
        assertEquals(
                detector.gflops(Route.ROUTE2, Http.IMAGE_SIZE, Http.IMAGE_SIZE),
                m.at("/gflops/route2").asDouble(),
                1e-9);
        assertTrue(m.at("/gflops/route2").asDouble() > m.at("/gflops/route1").asDouble());
        assertTrue(m.get("dynamic").asBoolean());
        assertTrue(m.get("calibration").isNull(), "the golden weights carry no calibration");
        assertEquals(8, m.at("/batching/max_batch").asInt());
        assertEquals(2L << 20, m.at("/limits/max_body_bytes").asLong());
    }

    @Test
    void eachImageEqualsTheLibraryApi() throws Exception {
        for (Path image : images) {
            ImageDetections want = detector.detect(image);
            HttpResponse<String> r = Http.postImage(base, "", image);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = Http.json(r);
            assertEquals(1, body.get("images").size());
            JsonNode row = body.get("images").get(0);
            assertSame(image.toString(), want, row, 1e-3, 1e-5);
            assertEquals("body", row.get("file").asText());
            assertEquals(
                    detector.routerThreshold(), body.get("router_threshold").asDouble(), 1e-7);
            for (String t : List.of("decode_ms", "queue_ms", "pre_ms", "model_ms", "nms_ms"))
                assertTrue(row.at("/timings/" + t).asDouble() >= 0, t);
            assertTrue(body.get("total_ms").asDouble() > 0);
        }
        assertTrue(
                detector.detect(images.get(0)).detections().size() > 5,
                "the test model finds objects on the golden image");
    }

    @Test
    void requestSettingsChangeRoutesAndBoxesAsInTheLibrary() throws Exception {
        Path img = images.get(1);
        for (float t : new float[] {0f, SPLIT, 1f}) {
            ImageDetections want = detector.detectDecoded(
                            List.of(io.dydet.data.Images.read(img, Long.MAX_VALUE)),
                            List.of("x"),
                            List.of(detector.defaults()
                                    .withRouterThreshold(t)
                                    .withConfidence(0.4f)
                                    .withIou(0.3f)))
                    .get(0);
            JsonNode row = Http.json(Http.postImage(base, "dy_thres=" + t + "&conf=0.4&iou=0.3", img))
                    .get("images")
                    .get(0);
            assertSame("threshold " + t, want, row, 1e-3, 1e-5);
        }
        assertEquals(
                1,
                Http.json(Http.postImage(base, "dy_thres=0", img))
                        .at("/images/0/route")
                        .asInt());
        assertEquals(
                2,
                Http.json(Http.postImage(base, "dy_thres=1", img))
                        .at("/images/0/route")
                        .asInt());
        // classes by name or id: the unfiltered rows of those classes, nothing else
        List<io.dydet.infer.Detection> all = detector.detect(img).detections();
        int first = all.get(0).classId();
        int absent = java.util.stream.IntStream.range(0, 80)
                .filter(c -> all.stream().noneMatch(d -> d.classId() == c))
                .findFirst()
                .orElseThrow();
        Set<Integer> kept = Set.of(first, absent);
        String query = "classes=" + all.get(0).className() + "," + absent;
        JsonNode some = Http.json(Http.postImage(base, query, img)).at("/images/0/detections");
        assertEquals(all.stream().filter(d -> kept.contains(d.classId())).count(), some.size());
        for (JsonNode d : some) assertTrue(kept.contains(d.get("class_id").asInt()), d.toString());
        assertEquals(
                0,
                Http.json(Http.postImage(base, "classes=" + absent, img))
                        .at("/images/0/detections")
                        .size());
    }

    @Test
    void badParametersAreRefusedByName() throws Exception {
        Path img = images.get(0);
        assertTrue(Http.error(Http.postImage(base, "conf_thres=0.3", img), 400)
                .get("message")
                .asText()
                .contains("conf_thres"));
        assertTrue(Http.error(Http.postImage(base, "conf=2", img), 400)
                .get("message")
                .asText()
                .contains("conf"));
        assertTrue(Http.error(Http.postImage(base, "dy_thres=abc", img), 400)
                .get("message")
                .asText()
                .contains("dy_thres"));
        assertTrue(Http.error(Http.postImage(base, "easy_ratio=0.5&dy_thres=0.5", img), 400)
                .get("message")
                .asText()
                .contains("not both"));
        assertTrue(Http.error(Http.postImage(base, "easy_ratio=0.5", img), 400)
                .get("message")
                .asText()
                .contains("calibrat"));
        assertTrue(Http.error(Http.postImage(base, "classes=unicorn", img), 400)
                .get("message")
                .asText()
                .contains("unicorn"));
        // the message detect gives too (CliTest)
        assertEquals(
                "classes: id 999 is outside 0..79",
                Http.error(Http.postImage(base, "classes=999", img), 400)
                        .get("message")
                        .asText());
    }

    @Test
    void multipartRequestsAnswerEveryImageInOrder() throws Exception {
        List<Path> some = images.subList(0, 4);
        JsonNode body = Http.json(Http.postMultipart(base, "dy_thres=" + SPLIT, some));
        assertEquals(4, body.get("images").size());
        for (int i = 0; i < some.size(); i++) {
            JsonNode row = body.get("images").get(i);
            assertEquals(some.get(i).getFileName().toString(), row.get("file").asText());
            ImageDetections want = detector.detectDecoded(
                            List.of(io.dydet.data.Images.read(some.get(i), Long.MAX_VALUE)),
                            List.of("x"),
                            List.of(detector.defaults().withRouterThreshold(SPLIT)))
                    .get(0);
            assertSame(some.get(i).toString(), want, row, 1e-2, 1e-4);
        }
        Set<Integer> routes = new java.util.HashSet<>();
        for (JsonNode row : body.get("images")) routes.add(row.get("route").asInt());
        assertEquals(Set.of(1, 2), routes, "the split threshold sends these images down both routes");
    }

    @Test
    void aBadImageInAMultipartRequestIsItsRowNotTheRequestsFailure() throws Exception {
        Path bad = Files.createTempFile("dydet-bad", ".jpg");
        try {
            byte[] good = Files.readAllBytes(images.get(2));
            Files.write(bad, Arrays.copyOf(good, good.length / 2));
            JsonNode body = Http.json(Http.postMultipart(base, "", List.of(images.get(0), bad, images.get(1))));
            assertTrue(body.at("/images/0/error").isNull());
            assertTrue(body.at("/images/1/error").asText().contains("truncated"), body.toString());
            assertTrue(body.at("/images/2/error").isNull());
        } finally {
            Files.deleteIfExists(bad);
        }
    }

    /**
     * Issue 20: a 2000x1 part (its short side rounds to 0 px at 192) used to fail its whole batch with HTTP 500; it
     * is a row like the others now, and the parts around it, e.g. a 600x20 strip of its letterboxed shape, get the
     * library's detections.
     */
    @Test
    void aDegeneratePartIsDetectedAndTheOtherPartsGetTheirDetections(@TempDir Path dir) throws Exception {
        Path thin = TestImages.png(dir, "thin", 2000, 1),
                strip = TestImages.png(dir, "strip", 600, 20),
                flat = TestImages.png(dir, "thin", 600, 1);
        List<Path> parts = List.of(images.get(0), thin, strip, images.get(1), flat);
        HttpResponse<String> r = Http.postMultipart(base, "", parts);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = Http.json(r);
        assertEquals(parts.size(), body.get("images").size());
        for (int i = 0; i < parts.size(); i++) {
            JsonNode row = body.get("images").get(i);
            assertEquals(parts.get(i).getFileName().toString(), row.get("file").asText());
            assertSame(parts.get(i).toString(), detector.detect(parts.get(i)), row, 1e-2, 1e-4);
        }
        assertEquals(2000, body.at("/images/1/width").asInt());
        assertEquals(1, body.at("/images/1/height").asInt());
        assertTrue(body.at("/images/0/detections").size() > 5, body.toString());
    }

    @Test
    void concurrentClientsGetTheSameResultsAsSequentialCalls() throws Exception {
        int clients = 32, perClient = 20;
        // sequential reference answers, one per (image, threshold) pair
        float[] thresholds = {0f, SPLIT, 1f};
        JsonNode[][] reference = new JsonNode[images.size()][thresholds.length];
        for (int i = 0; i < images.size(); i++) {
            for (int t = 0; t < thresholds.length; t++) {
                HttpResponse<String> r = Http.postImage(base, "dy_thres=" + thresholds[t], images.get(i));
                assertEquals(200, r.statusCode(), r.body());
                reference[i][t] = Http.json(r).get("images").get(0);
            }
        }
        String before = Http.get(base, "metrics").body();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<List<String>>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                done.add(pool.submit(() -> {
                    List<String> problems = new ArrayList<>();
                    for (int k = 0; k < perClient; k++) {
                        int i = (client + k) % images.size(), t = (client * 7 + k) % thresholds.length;
                        HttpResponse<String> r = Http.postImage(base, "dy_thres=" + thresholds[t], images.get(i));
                        if (r.statusCode() != 200) {
                            problems.add("client " + client + " request " + k + ": " + r.statusCode() + " " + r.body());
                            continue;
                        }
                        try {
                            assertSameRow(
                                    reference[i][t], Http.json(r).get("images").get(0));
                        } catch (AssertionError e) {
                            problems.add("client " + client + " request " + k + " ("
                                    + images.get(i).getFileName() + "): " + e.getMessage());
                        }
                    }
                    return problems;
                }));
            }
            List<String> problems = new ArrayList<>();
            for (Future<List<String>> f : done) problems.addAll(f.get());
            assertTrue(
                    problems.isEmpty(),
                    problems.size() + " problems, first: " + problems.subList(0, Math.min(3, problems.size())));
        } finally {
            pool.shutdownNow();
        }
        String after = Http.get(base, "metrics").body();
        double images640 = Http.metric(after, "dydet_batch_size_sum") - Http.metric(before, "dydet_batch_size_sum");
        double batches = Http.metric(after, "dydet_batch_size_count") - Http.metric(before, "dydet_batch_size_count");
        assertEquals(clients * perClient, images640, 0);
        assertTrue(
                images640 / batches > 1.5,
                "32 concurrent clients should share forward passes; mean batch " + images640 / batches);
    }

    /** Two answers for the same image and settings: equal up to batch-size float noise. */
    private static void assertSameRow(JsonNode want, JsonNode got) {
        assertEquals(want.get("route").asInt(), got.get("route").asInt(), "route");
        assertEquals(want.get("score").asDouble(), got.get("score").asDouble(), 1e-5, "score");
        JsonNode a = want.get("detections"), b = got.get("detections");
        assertEquals(a.size(), b.size(), "detections");
        for (int i = 0; i < a.size(); i++) {
            JsonNode x = a.get(i), y = b.get(i);
            assertEquals(x.get("class_id").asInt(), y.get("class_id").asInt(), "class of row " + i);
            assertEquals(
                    x.get("confidence").asDouble(), y.get("confidence").asDouble(), 1e-4, "confidence of row " + i);
            for (int k = 0; k < 4; k++)
                assertEquals(x.get("box").get(k).asDouble(), y.get("box").get(k).asDouble(), 1e-2, "box of row " + i);
        }
    }

    @Test
    void everyBadUploadGetsItsStatusAndTheServerKeepsServing() throws Exception {
        byte[] jpeg = Files.readAllBytes(images.get(2));
        JsonNode e;
        e = Http.error(Http.post(base, "v1/detect", new byte[0], "image/jpeg"), 400);
        assertEquals("empty_body", e.get("code").asText());
        e = Http.error(Http.post(base, "v1/detect", Arrays.copyOf(jpeg, jpeg.length / 2), "image/jpeg"), 422);
        assertTrue(e.get("message").asText().contains("truncated"), e.toString());
        e = Http.error(Http.post(base, "v1/detect", pngHeader(40000, 40000), "image/png"), 422);
        assertEquals("too_many_pixels", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("40000x40000"), e.toString());
        e = Http.error(Http.post(base, "v1/detect", "this is not a picture".getBytes(), "image/jpeg"), 415);
        assertTrue(e.get("message").asText().contains("this is"), e.toString());
        e = Http.error(Http.post(base, "v1/detect", "{\"x\": 1}".getBytes(), "application/json"), 415);
        assertEquals("unsupported_media_type", e.get("code").asText());
        byte[] huge = new byte[(3 << 20)];
        System.arraycopy(jpeg, 0, huge, 0, jpeg.length);
        e = Http.error(Http.post(base, "v1/detect", huge, "image/jpeg"), 413);
        assertTrue(e.get("message").asText().contains(String.valueOf(2L << 20)), e.toString());
        e = Http.error(Http.postMultipart(base, "", java.util.Collections.nCopies(9, images.get(3))), 413);
        assertEquals("too_many_images", e.get("code").asText());
        // still serving, with the same answers
        HttpResponse<String> ok = Http.postImage(base, "", images.get(0));
        assertEquals(200, ok.statusCode());
        assertSame(
                "after the bad uploads",
                detector.detect(images.get(0)),
                Http.json(ok).get("images").get(0),
                1e-3,
                1e-5);
        String metrics = Http.get(base, "metrics").body();
        assertTrue(Http.metric(metrics, "dydet_http_requests_total{endpoint=\"detect\",status=\"415\"}") >= 2, metrics);
        assertTrue(Http.metric(metrics, "dydet_http_requests_total{endpoint=\"detect\",status=\"413\"}") >= 2, metrics);
        assertTrue(Http.metric(metrics, "dydet_images_total{route=\"error\"}") >= 3, metrics);
    }

    /**
     * Issue 20: over 1000 parts, an unterminated body and a missing boundary each got HTTP 500 with Jetty's exception
     * text and a stack trace on stderr; now a JSON refusal and one log line, and the next request is served.
     */
    @Test
    void malformedMultipartIsAJsonRefusalWithOneLogLine() throws Exception {
        String b = "dydet-hostile";
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= Uploads.MAX_PARTS; i++)
            many.append("--")
                    .append(b)
                    .append("\r\nContent-Disposition: form-data; name=\"f")
                    .append(i)
                    .append("\"; filename=\"x.jpg\"\r\n\r\nxx\r\n");
        many.append("--").append(b).append("--\r\n");
        String part = "--" + b + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.jpg\"\r\n\r\nxxxx";
        String[][] cases = { // body, Content-Type, status, code
            {many.toString(), "multipart/form-data; boundary=" + b, "413", "too_many_parts"},
            {part, "multipart/form-data; boundary=" + b, "400", "bad_multipart"},
            {part + "\r\n--" + b + "--\r\n", "multipart/form-data", "400", "bad_multipart"},
        };
        for (String[] c : cases) {
            PrintStream old = System.err;
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            JsonNode e;
            try {
                e = Http.error(
                        Http.post(base, "v1/detect", c[0].getBytes(StandardCharsets.UTF_8), c[1]),
                        Integer.parseInt(c[2]));
            } finally {
                System.setErr(old);
            }
            assertEquals(c[3], e.get("code").asText(), e.toString());
            String message = e.get("message").asText();
            assertTrue(!message.contains("jetty") && !message.contains("Exception"), message);
            String log = err.toString(StandardCharsets.UTF_8).strip();
            assertEquals(1, log.lines().count(), log);
            assertTrue(log.contains("refused"), log);
            HttpResponse<String> ok = Http.postImage(base, "", images.get(0));
            assertEquals(200, ok.statusCode(), "after " + c[3] + ": " + ok.body());
        }
        JsonNode e = Http.error(
                Http.post(
                        base,
                        "v1/detect",
                        many.toString().getBytes(StandardCharsets.UTF_8),
                        "multipart/form-data; boundary=" + b),
                413);
        assertTrue(e.get("message").asText().contains("at most " + Uploads.MAX_PARTS), e.toString());
        e = Http.error(
                Http.post(
                        base, "v1/detect", part.getBytes(StandardCharsets.UTF_8), "multipart/form-data; boundary=" + b),
                400);
        assertTrue(e.get("message").asText().contains("closing boundary"), e.toString());
        e = Http.error(Http.post(base, "v1/detect", part.getBytes(StandardCharsets.UTF_8), "multipart/form-data"), 400);
        assertTrue(e.get("message").asText().contains("no boundary"), e.toString());
    }

    /** Issue 20: unknown paths and wrong methods answered Javalin's plain text; every refusal is JSON now. */
    @Test
    void unknownRoutesAndWrongMethodsAreJsonRefusals() throws Exception {
        HttpResponse<String> r = Http.get(base, "v1/detect");
        JsonNode e = Http.error(r, 405);
        assertEquals("method_not_allowed", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("POST"), e.toString());
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        e = Http.error(Http.post(base, "v1/model", new byte[] {1}, "image/png"), 405);
        assertTrue(e.get("message").asText().contains("GET"), e.toString());
        e = Http.error(Http.get(base, "v2/nothing"), 404);
        assertEquals("not_found", e.get("code").asText());
        assertTrue(
                e.get("message").asText().contains("/v2/nothing")
                        && e.get("message").asText().contains("POST /v1/detect"),
                e.toString());
    }

    @Test
    void metricsCountImagesPerRoute() throws Exception {
        String before = Http.get(base, "metrics").body();
        Http.postImage(base, "dy_thres=0", images.get(0));
        Http.postImage(base, "dy_thres=1", images.get(0));
        Http.postImage(base, "dy_thres=1", images.get(1));
        HttpResponse<String> m = Http.get(base, "metrics");
        assertTrue(
                m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                m.headers().toString());
        String after = m.body();
        assertEquals(
                1,
                Http.metric(after, "dydet_images_total{route=\"1\"}")
                        - Http.metric(before, "dydet_images_total{route=\"1\"}"),
                0);
        assertEquals(
                2,
                Http.metric(after, "dydet_images_total{route=\"2\"}")
                        - Http.metric(before, "dydet_images_total{route=\"2\"}"),
                0);
        for (String series : List.of(
                "dydet_queue_depth",
                "dydet_requests_in_flight",
                "dydet_http_request_duration_seconds_count{endpoint=\"detect\"}"))
            assertTrue(!Double.isNaN(Http.metric(after, series)), series + " missing from\n" + after);
    }

    static byte[] pngHeader(int width, int height) throws java.io.IOException {
        return io.dydet.testing.TestImages.pngHeader(width, height);
    }
}
