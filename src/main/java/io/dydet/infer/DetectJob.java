package io.dydet.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import io.dydet.data.Videos;
import io.dydet.files.AtomicFile;
import io.dydet.json.Json;
import io.dydet.model.Route;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.videoio.VideoCapture;
import org.opencv.videoio.VideoWriter;

/**
 * Detection over many files into a run folder: {@code detections.json} (every image, with its route, score, GFLOPs
 * and unrounded boxes, or its error), annotated images and YOLO-format label files with confidences.
 */
public final class DetectJob {
    /** What to write besides detections.json. */
    public record Options(boolean saveImages, boolean saveTxt, int chunk) {}

    /** Totals of a run. */
    public record Summary(
            int images, int failed, int route1, int route2, double preMs, double modelMs, double nmsMs, Path runDir) {
        public double route1Share() {
            int ok = images - failed;
            return ok == 0 ? 0 : (double) route1 / ok;
        }
    }

    private DetectJob() {}

    /**
     * @param progress called with (images done, total) after each chunk
     */
    public static Summary run(
            Detector detector, List<Path> files, Path runDir, Options options, BiConsumer<Integer, Integer> progress)
            throws IOException {
        if (options.saveTxt()) Files.createDirectories(runDir.resolve("labels"));
        List<Map<String, Object>> json = new ArrayList<>();
        int failed = 0, r1 = 0, r2 = 0;
        double pre = 0, mdl = 0, nms = 0;
        int chunk = Math.max(1, options.chunk());
        List<Path> videos = files.stream().filter(Videos::isVideoName).toList();
        files = files.stream().filter(f -> !Videos.isVideoName(f)).toList();
        for (Path video : videos) {
            VideoSummary v = runVideo(detector, video, runDir, options, json);
            failed += v.failed;
            r1 += v.route1;
            r2 += v.route2;
            pre += v.pre;
            mdl += v.model;
            nms += v.nms;
        }
        int videoFrames = json.size();
        for (int from = 0; from < files.size(); from += chunk) {
            List<Path> part = files.subList(from, Math.min(files.size(), from + chunk));
            List<ImageDetections> results = detector.detect(part);
            for (int k = 0; k < part.size(); k++) {
                ImageDetections r = results.get(k);
                Path file = part.get(k);
                json.add(toJson(file, r));
                if (!r.ok()) {
                    failed++;
                    continue;
                }
                if (r.route() == Route.ROUTE1) r1++;
                else r2++;
                pre += r.timings().preMs();
                mdl += r.timings().modelMs();
                nms += r.timings().nmsMs();
                String stem = stem(file);
                if (options.saveTxt()) writeTxt(runDir.resolve("labels").resolve(stem + ".txt"), r);
                if (options.saveImages())
                    writeAnnotated(file, runDir.resolve(file.getFileName().toString()), r);
            }
            if (progress != null) progress.accept(Math.min(files.size(), from + chunk), files.size());
        }
        ObjectMapper mapper = Json.PRETTY;
        AtomicFile.write(runDir.resolve("detections.json"), out -> mapper.writeValue(out, json));
        int total = files.size() + videoFrames;
        int ok = total - failed;
        return new Summary(
                total, failed, r1, r2, ok == 0 ? 0 : pre / ok, ok == 0 ? 0 : mdl / ok, ok == 0 ? 0 : nms / ok, runDir);
    }

    private static final class VideoSummary {
        int failed, route1, route2;
        double pre, model, nms;
    }

    /** Frame by frame: detections per frame in the JSON (with "frame"), an annotated Motion-JPEG AVI in the run folder. */
    private static VideoSummary runVideo(
            Detector detector, Path video, Path runDir, Options options, List<Map<String, Object>> json)
            throws IOException {
        VideoSummary s = new VideoSummary();
        VideoCapture cap;
        try {
            cap = Videos.open(video);
        } catch (ImageException e) {
            json.add(toJson(video, ImageDetections.failed(video.toString(), e.getMessage())));
            s.failed++;
            return s;
        }
        Path out = runDir.resolve(stem(video) + ".avi");
        // the writer picks its container by the ending: the temporary file ends in .avi too
        Path tmp = null;
        VideoWriter writer = null;
        int frame = 0;
        try {
            while (true) {
                List<Mat> frames = new ArrayList<>();
                for (int k = 0; k < Math.max(1, options.chunk()); k++) {
                    Mat m = Videos.next(cap);
                    if (m == null) break;
                    frames.add(m);
                }
                if (frames.isEmpty()) break;
                List<String> labels = new ArrayList<>();
                for (int k = 0; k < frames.size(); k++) labels.add(video + "#" + (frame + k));
                List<ImageDetections> results = detector.detectDecoded(frames, labels);
                for (int k = 0; k < frames.size(); k++) {
                    ImageDetections r = results.get(k);
                    Map<String, Object> row = toJson(video, r);
                    row.put("frame", frame + k);
                    json.add(row);
                    if (r.route() == Route.ROUTE1) s.route1++;
                    else s.route2++;
                    s.pre += r.timings().preMs();
                    s.model += r.timings().modelMs();
                    s.nms += r.timings().nmsMs();
                    if (options.saveImages()) {
                        Mat f = frames.get(k);
                        if (writer == null) {
                            tmp = AtomicFile.temporaryFor(out, ".part.avi");
                            writer = Videos.writer(tmp, Videos.fps(cap), f.cols(), f.rows());
                        }
                        Annotator.draw(f, r);
                        writer.write(f);
                    }
                }
                frame += frames.size();
                for (Mat m : frames) m.release();
            }
        } finally {
            cap.release();
            if (writer != null) writer.release();
        }
        if (writer != null) AtomicFile.commit(tmp, out);
        return s;
    }

    static Map<String, Object> toJson(Path file, ImageDetections r) {
        return DetectionsJson.row(file.toString(), r);
    }

    private static String stem(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** YOLO format: class cx cy w h (normalised to the original image) confidence. */
    private static void writeTxt(Path target, ImageDetections r) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Detection d : r.detections()) {
            double cx = (d.box().x1() + d.box().x2()) / 2 / r.width(),
                    cy = (d.box().y1() + d.box().y2()) / 2 / r.height();
            double w = d.box().width() / r.width(), h = d.box().height() / r.height();
            b.append(String.format(
                    Locale.ROOT, "%d %.6f %.6f %.6f %.6f %.5f%n", d.classId(), cx, cy, w, h, d.confidence()));
        }
        AtomicFile.write(target, out -> out.write(b.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static void writeAnnotated(Path source, Path target, ImageDetections r) throws IOException {
        Mat img = Images.read(source, Long.MAX_VALUE);
        try {
            Annotator.draw(img, r);
            String name = target.getFileName().toString();
            String ext = name.contains(".") ? name.substring(name.lastIndexOf('.')) : ".jpg";
            MatOfInt params = new MatOfInt();
            MatOfByte buf = new MatOfByte();
            if (!Imgcodecs.imencode(ext, img, buf, params)) throw new IOException("cannot encode " + target);
            byte[] bytes = buf.toArray();
            AtomicFile.write(target, out -> out.write(bytes));
        } finally {
            img.release();
        }
    }
}
