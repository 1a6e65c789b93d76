package io.dydet.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.cli.Main;
import io.dydet.data.Images;
import io.dydet.data.Videos;
import io.dydet.engine.Engines;
import io.dydet.testing.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;
import org.opencv.videoio.VideoCapture;
import org.opencv.videoio.VideoWriter;

/** A video source is detected frame by frame with the same results as its frames as images, and written back annotated. */
class VideoTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
        Images.loadOpenCv();
    }

    @Test
    void framesEqualImagesAndTheAnnotatedVideoIsWritten() throws Exception {
        Mat demo = Images.read(Golden.file("images/demo.png"), Images.DEFAULT_PIXEL_LIMIT);
        Mat grace = Images.read(Golden.file("images/grace_hopper.png"), Images.DEFAULT_PIXEL_LIMIT);
        Mat g2 = new Mat();
        Imgproc.resize(grace, g2, new Size(demo.cols(), demo.rows()));
        Path video = Files.createDirectories(dir.resolve("src")).resolve("clip.avi");
        VideoWriter w = Videos.writer(video, 5, demo.cols(), demo.rows());
        for (int i = 0; i < 5; i++) w.write(i % 2 == 0 ? demo : g2);
        w.release();
        // the frames as images: decoded from the same file, detected one by one
        VideoCapture cap = Videos.open(video);
        List<Mat> frames = new ArrayList<>();
        for (Mat m; (m = Videos.next(cap)) != null; ) frames.add(m);
        cap.release();
        assertEquals(5, frames.size());
        float lo = 1, hi = 0;
        try (Detector probe = DetectorTest.detector("dy-yolov7-w025", 192, 0f)) {
            for (Mat f : frames) {
                float sc = probe.detect(f, "probe").routerScore();
                lo = Math.min(lo, sc);
                hi = Math.max(hi, sc);
            }
        }
        float thr = (lo + hi) / 2; // between the two kinds of frames, so both routes appear
        Path project = dir.resolve("runs");
        assertEquals(
                0,
                Main.run(
                        "detect",
                        "--weights",
                        Golden.file("dy-yolov7-w025.safetensors").toString(),
                        "--model",
                        "dy-yolov7",
                        "--width",
                        "0.25",
                        "--source",
                        video.toString(),
                        "--img",
                        "192",
                        "--dy-thres",
                        Float.toString(thr),
                        "--project",
                        project.toString(),
                        "--threads",
                        "2"));
        JsonNode json = new ObjectMapper()
                .readTree(project.resolve("exp/detections.json").toFile());
        assertEquals(5, json.size());
        try (Detector d = DetectorTest.detector("dy-yolov7-w025", 192, thr)) {
            boolean route1 = false, route2 = false;
            for (int i = 0; i < 5; i++) {
                ImageDetections one = d.detect(frames.get(i), "frame " + i);
                JsonNode row = json.get(i);
                assertEquals(i, row.get("frame").asInt());
                assertNull(row.get("error").textValue());
                assertEquals(one.route().number(), row.get("route").asInt(), "route of frame " + i);
                route1 |= one.route().number() == 1;
                route2 |= one.route().number() == 2;
                assertEquals(one.detections().size(), row.get("detections").size(), "frame " + i);
                for (int k = 0; k < one.detections().size(); k++) {
                    assertEquals(
                            one.detections().get(k).confidence(),
                            row.get("detections").get(k).get("confidence").asDouble(),
                            1e-4);
                    assertEquals(
                            one.detections().get(k).box().x1(),
                            row.get("detections").get(k).get("box").get(0).asDouble(),
                            1e-2);
                }
            }
            assertTrue(route1 && route2, "the two kinds of frames should take both routes");
        }
        Path annotated = project.resolve("exp/clip.avi");
        assertTrue(Files.size(annotated) > 0);
        VideoCapture back = Videos.open(annotated);
        int n = 0;
        for (Mat m; (m = Videos.next(back)) != null; ) n++;
        back.release();
        assertEquals(5, n);
    }

    @Test
    void unreadableVideoIsAnErrorRowNotACrash() throws Exception {
        Path bad = Files.createDirectories(dir.resolve("bad")).resolve("movie.mp4");
        Files.writeString(bad, "not a video");
        Path project = dir.resolve("runs2");
        assertEquals(
                3,
                Main.run(
                        "detect",
                        "--weights",
                        Golden.file("dy-yolov7-w025.safetensors").toString(),
                        "--model",
                        "dy-yolov7",
                        "--width",
                        "0.25",
                        "--source",
                        bad.toString(),
                        "--img",
                        "192",
                        "--project",
                        project.toString()));
        JsonNode json = new ObjectMapper()
                .readTree(project.resolve("exp/detections.json").toFile());
        assertTrue(json.get(0).get("error").textValue().contains("Motion-JPEG"), json.toString());
    }
}
