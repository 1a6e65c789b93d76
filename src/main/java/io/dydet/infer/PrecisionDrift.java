package io.dydet.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import io.dydet.model.Route;
import io.dydet.model.RoutedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.opencv.core.Mat;

/**
 * How far a model in a lower precision drifts from its float32 form: the decoded outputs of both routes on the same
 * inputs, and the final detections (after NMS) on the same images.
 */
public final class PrecisionDrift {
    private PrecisionDrift() {}

    /**
     * Largest changes of one route's decoded outputs over a batch.
     *
     * @param maxBoxPx largest change of a box coordinate (centre x/y, width, height), in input pixels
     * @param maxConfidence largest change of an objectness or class probability
     * @param maxScore largest change of the router's easiness score (NaN without router)
     */
    public record OutputDrift(Route route, double maxBoxPx, double maxConfidence, double maxScore) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("route", route.number());
            m.put("max_box_px", maxBoxPx);
            m.put("max_confidence", maxConfidence);
            m.put("max_score", maxScore);
            return m;
        }
    }

    /** Both routes' decoded outputs of {@code other} against {@code reference} on one input batch (B, 3, H, W). */
    public static List<OutputDrift> outputs(RoutedModel reference, RoutedModel other, NDArray input) {
        List<OutputDrift> out = new ArrayList<>();
        try (NDManager m = input.getManager().newSubManager()) {
            float[] a = reference.easiness(input), b = other.easiness(input);
            double score = 0;
            for (int i = 0; i < a.length; i++) score = Math.max(score, Math.abs(a[i] - b[i]));
            if (a.length > 0 && Float.isNaN(a[0])) score = Double.NaN;
            for (Route r : Route.values()) {
                NDArray x = reference.decode(input, r), y = other.decode(input, r);
                x.attach(m);
                y.attach(m);
                NDArray diff = x.sub(y).abs();
                double box = diff.get(new NDIndex("..., 0:4")).max().getFloat();
                double conf = diff.get(new NDIndex("..., 4:")).max().getFloat();
                out.add(new OutputDrift(r, box, conf, score));
            }
        }
        return out;
    }

    /**
     * Both routes' decoded outputs of two detectors' models on images letterboxed as for detection (one image per
     * pass, at the reference's image size): the largest changes over all images, per route.
     *
     * @throws io.dydet.data.ImageException for an unreadable image
     */
    public static List<OutputDrift> outputs(Detector reference, Detector other, List<Path> images)
            throws ImageException {
        double[] box = new double[2], conf = new double[2];
        double score = 0;
        for (Path p : images) {
            Mat bgr = Images.read(p, Images.DEFAULT_PIXEL_LIMIT);
            try (NDManager m = NDManager.newBaseManager(reference.model().device())) {
                NDArray input = reference.input(m, bgr);
                for (OutputDrift d : outputs(reference.model(), other.model(), input)) {
                    int r = d.route() == Route.ROUTE1 ? 0 : 1;
                    box[r] = Math.max(box[r], d.maxBoxPx());
                    conf[r] = Math.max(conf[r], d.maxConfidence());
                    score = Double.isNaN(d.maxScore()) ? Double.NaN : Math.max(score, d.maxScore());
                }
            } finally {
                bgr.release();
            }
        }
        return List.of(
                new OutputDrift(Route.ROUTE1, box[0], conf[0], score),
                new OutputDrift(Route.ROUTE2, box[1], conf[1], score));
    }

    /**
     * Detections (after NMS) of two detectors on the same images. A detection is kept when the other side has one of
     * the same class whose corners are all within {@code boxTolerancePx} (original image pixels); an image changed
     * when it took another route or any of its detections was not kept.
     */
    public record DetectionDrift(
            Counts counts, double maxBoxPx, double maxConfidence, double boxTolerancePx, List<String> changed) {
        /** How many images and detections there were, and how many changed. */
        public record Counts(
                int images,
                int imagesChanged,
                int routesChanged,
                int referenceDetections,
                int otherDetections,
                int lost,
                int added) {}

        public int images() {
            return counts.images();
        }

        public int imagesChanged() {
            return counts.imagesChanged();
        }

        public int routesChanged() {
            return counts.routesChanged();
        }

        public int referenceDetections() {
            return counts.referenceDetections();
        }

        public int otherDetections() {
            return counts.otherDetections();
        }

        public int lost() {
            return counts.lost();
        }

        public int added() {
            return counts.added();
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("images", images());
            m.put("images_changed", imagesChanged());
            m.put("routes_changed", routesChanged());
            m.put("reference_detections", referenceDetections());
            m.put("other_detections", otherDetections());
            m.put("lost", lost());
            m.put("added", added());
            m.put("max_box_px_kept", maxBoxPx);
            m.put("max_confidence_kept", maxConfidence);
            m.put("box_tolerance_px", boxTolerancePx);
            m.put("changed", changed);
            return m;
        }
    }

    public static DetectionDrift detections(
            Detector reference, Detector other, List<Path> images, double boxTolerancePx) {
        List<ImageDetections> want = reference.detect(images), got = other.detect(images);
        int changedImages = 0, routes = 0, refCount = 0, otherCount = 0, lost = 0, added = 0;
        double maxBox = 0, maxConf = 0;
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < want.size(); i++) {
            ImageDetections a = want.get(i), b = got.get(i);
            if (!a.ok() || !b.ok()) {
                if (a.ok() != b.ok())
                    throw new IllegalStateException(
                            a.source() + " failed on one side only: " + (a.ok() ? b.error() : a.error()));
                continue;
            }
            refCount += a.detections().size();
            otherCount += b.detections().size();
            boolean routeChanged = a.route() != b.route();
            if (routeChanged) routes++;
            boolean[] used = new boolean[b.detections().size()];
            int kept = 0;
            for (Detection d : a.detections()) {
                int best = -1;
                double bestDist = Double.MAX_VALUE;
                for (int j = 0; j < used.length; j++) {
                    Detection e = b.detections().get(j);
                    if (used[j] || e.classId() != d.classId()) continue;
                    double dist = cornerDistance(d, e);
                    if (dist <= boxTolerancePx && dist < bestDist) {
                        best = j;
                        bestDist = dist;
                    }
                }
                if (best < 0) continue;
                used[best] = true;
                kept++;
                maxBox = Math.max(maxBox, bestDist);
                maxConf = Math.max(
                        maxConf,
                        Math.abs(d.confidence() - b.detections().get(best).confidence()));
            }
            int lostHere = a.detections().size() - kept,
                    addedHere = b.detections().size() - kept;
            lost += lostHere;
            added += addedHere;
            if (routeChanged || lostHere > 0 || addedHere > 0) {
                changedImages++;
                changed.add(a.source()
                        + (routeChanged
                                ? " (route " + a.route().number() + " -> "
                                        + b.route().number() + ")"
                                : "")
                        + (lostHere + addedHere > 0 ? " (" + lostHere + " lost, " + addedHere + " added)" : ""));
            }
        }
        return new DetectionDrift(
                new DetectionDrift.Counts(want.size(), changedImages, routes, refCount, otherCount, lost, added),
                maxBox,
                maxConf,
                boxTolerancePx,
                changed);
    }

    private static double cornerDistance(Detection a, Detection b) {
        return Math.max(
                Math.max(
                        Math.abs(a.box().x1() - b.box().x1()),
                        Math.abs(a.box().y1() - b.box().y1())),
                Math.max(
                        Math.abs(a.box().x2() - b.box().x2()),
                        Math.abs(a.box().y2() - b.box().y2())));
    }
}
