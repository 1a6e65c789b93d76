package io.dydet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.infer.Detection;
import io.dydet.infer.Detector;
import io.dydet.infer.ImageDetections;
import io.dydet.model.ModelSpec;
import io.dydet.testing.Golden;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The service's tests' client side: requests over real HTTP, the test model and images, and result comparison. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** Letterbox size of the test model: small, so hundreds of requests take seconds. */
    static final int IMAGE_SIZE = 192;

    private Http() {}

    /** The golden dy-yolov7 at width 0.25 (the original's weights), batches of up to {@code batch}. */
    static Detector detector(int batch) throws Exception {
        ModelSpec spec;
        try (Golden g = Golden.open("dy-yolov7-w025")) {
            spec = g.spec();
        }
        return Detector.builder()
                .weights(Golden.file("dy-yolov7-w025.safetensors"))
                .model(spec)
                .imageSize(IMAGE_SIZE)
                .batchSize(batch)
                .build();
    }

    /** The golden images and a slice of COCO val2017: PNG and JPEG, landscape and portrait. */
    static List<Path> images() throws IOException {
        List<Path> out =
                new ArrayList<>(List.of(Golden.file("images/demo.png"), Golden.file("images/grace_hopper.png")));
        try (Stream<Path> s = Files.list(Path.of("src/test/resources/data/coco_val2017_47/images/val2017"))) {
            out.addAll(s.sorted().limit(6).toList());
        }
        return out;
    }

    static HttpResponse<String> get(URI base, String path) throws IOException, InterruptedException {
        return CLIENT.send(
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(Duration.ofSeconds(60))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(URI base, String pathAndQuery, byte[] body, String contentType)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(pathAndQuery))
                .timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) b.header("Content-Type", contentType);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> postImage(URI base, String query, Path image) throws IOException, InterruptedException {
        String type = image.toString().endsWith(".png") ? "image/png" : "image/jpeg";
        return post(base, "v1/detect" + (query.isEmpty() ? "" : "?" + query), Files.readAllBytes(image), type);
    }

    /** A multipart/form-data request with one file part per image. */
    static HttpResponse<String> postMultipart(URI base, String query, List<Path> images)
            throws IOException, InterruptedException {
        String boundary = "dydet-test-boundary-7f3a";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < images.size(); i++) {
            Path p = images.get(i);
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image" + i + "\"; filename=\""
                            + p.getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.writeBytes(Files.readAllBytes(p));
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return post(
                base,
                "v1/detect" + (query.isEmpty() ? "" : "?" + query),
                out.toByteArray(),
                "multipart/form-data; boundary=" + boundary);
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** The error object of a refused request, checked for its status. */
    static JsonNode error(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertNotNull(e, r.body());
        assertEquals(status, e.get("status").asInt());
        assertTrue(e.get("message").asText().length() > 10, r.body());
        return e;
    }

    /**
     * A row of the service's answer against the library's result: route, score and dimensions equal; detections
     * matched by class with boxes within {@code boxTol} px and confidences within {@code confTol} (a batch of several
     * images may differ from batch 1 in the last float bits).
     */
    static void assertSame(String what, ImageDetections want, JsonNode row, double boxTol, double confTol) {
        assertTrue(row.get("error").isNull(), what + ": " + row.get("error"));
        assertEquals(want.width(), row.get("width").asInt(), what);
        assertEquals(want.height(), row.get("height").asInt(), what);
        assertEquals(want.route().number(), row.get("route").asInt(), what);
        assertEquals(want.routerScore(), row.get("score").asDouble(), 1e-5, what);
        assertEquals(want.gflops(), row.get("gflops").asDouble(), 1e-9, what);
        JsonNode dets = row.get("detections");
        assertEquals(want.detections().size(), dets.size(), what + ": detections");
        boolean[] used = new boolean[dets.size()];
        for (Detection d : want.detections()) {
            int match = -1;
            for (int i = 0; i < dets.size() && match < 0; i++) {
                JsonNode o = dets.get(i);
                if (used[i] || o.get("class_id").asInt() != d.classId()) continue;
                JsonNode b = o.get("box");
                if (Math.abs(b.get(0).asDouble() - d.box().x1()) <= boxTol
                        && Math.abs(b.get(1).asDouble() - d.box().y1()) <= boxTol
                        && Math.abs(b.get(2).asDouble() - d.box().x2()) <= boxTol
                        && Math.abs(b.get(3).asDouble() - d.box().y2()) <= boxTol
                        && Math.abs(o.get("confidence").asDouble() - d.confidence()) <= confTol) match = i;
            }
            assertTrue(match >= 0, what + ": the service has no row for " + d + " in " + dets);
            assertEquals(d.className(), dets.get(match).get("class_name").asText());
            used[match] = true;
        }
    }

    /** The value of one series in a Prometheus text exposition, or NaN when absent. */
    static double metric(String exposition, String series) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith(series + " "))
                return Double.parseDouble(line.substring(series.length() + 1).trim());
        }
        return Double.NaN;
    }
}
