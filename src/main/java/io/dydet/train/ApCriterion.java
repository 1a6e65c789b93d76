package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.data.Images;
import io.dydet.engine.Scalars;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.NmsOptions;
import io.dydet.infer.RoutingDiagnostics;
import io.dydet.infer.Validator;
import io.dydet.infer.YoloGroundTruth;
import io.dydet.model.DynamicDetModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A step-2 exit criterion beyond the original: each training image's benefit is its contribution to the set's
 * AP@[.5:.95] when it moves to route 2 ({@link RoutingDiagnostics.Oracle#apContribution}), measured once on the
 * frozen detector; the router loss per image is s (b - Delta) with s the easiness score and Delta the mean benefit,
 * so images that add more than the mean to the set's AP are pushed to route 2 and the others to route 1, as the
 * original's loss gap does with L1 - L2. The mean, not the original's median: benefits are skewed (a few images add
 * much), and against the median the router's bias took every score towards 0 within epochs (measured: route-2 share
 * 100% after 4 epochs, the sigmoid saturated before the ranking was learnt); against the mean the bias gets no net push.
 *
 * <p>Why: the original's gap is a per-image mean over that image's objects, while the set's AP counts objects. Measured
 * on the demo's data (4 seeds), the loss gap was larger on the scenes with one or two large objects, so the router sent
 * those to route 2 (AUC 0.000 against generated difficulty), while moving the cluttered scenes with three to six
 * objects to route 2 added 1.2-7x more to the set's AP. It needs the images' labels (step 2 has them) and both routes'
 * detections on every image once, before the first epoch.
 */
public final class ApCriterion {
    public static final String CRITERION = "ap";

    /** One image's values: its benefit, the offset (mean benefit), its score and its router loss. */
    public record ImageLoss(double benefit, double offset, float score, float routerLoss) {}

    /** {@code total} (shape (1)) sums the images' router losses; it is what to differentiate. */
    public record Result(NDArray total, List<ImageLoss> images) {}

    private final Map<Path, Double> benefits;
    private final double mean;

    private ApCriterion(Map<Path, Double> benefits) {
        this.benefits = Map.copyOf(benefits);
        this.mean = benefits.values().stream()
                .mapToDouble(Double::doubleValue)
                .average()
                .orElseThrow();
    }

    /**
     * Runs the frozen detector's both routes over the images (the evaluation path: letterboxed at {@code imageSize},
     * COCO NMS) and measures each one's benefit.
     *
     * @param progress (done, total) images
     * @throws IOException an image that cannot be read or has no usable labels: named
     */
    public static ApCriterion measure(
            DynamicDetModel model,
            List<Path> images,
            List<String> classNames,
            int imageSize,
            int batch,
            BiConsumer<Integer, Integer> progress)
            throws IOException {
        if (images.isEmpty()) throw new IllegalArgumentException("no image to measure the AP criterion on");
        List<Validator.ImageResult> results;
        try (NDManager m = model.manager().newSubManager()) {
            DynamicDetModel fused = model.fuse(m);
            Validator.Options o = new Validator.Options(
                    imageSize, 0.5f, NmsOptions.forEval(), batch, Images.DEFAULT_PIXEL_LIMIT, true);
            results = Validator.run(fused, images, o, null, progress);
        }
        List<String> failed = new ArrayList<>();
        for (Validator.ImageResult r : results) if (r.error() != null) failed.add(r.file() + ": " + r.error());
        if (!failed.isEmpty())
            throw new IOException(
                    "the AP criterion cannot evaluate " + failed.size() + " image(s), e.g. " + failed.get(0));
        CocoGroundTruth truth = YoloGroundTruth.build(images, classNames.size(), classNames);
        Map<Long, Double> byId =
                RoutingDiagnostics.Oracle.apContribution(results, truth).benefits();
        Map<Path, Double> byPath = new HashMap<>();
        for (Validator.ImageResult r : results) byPath.put(r.file(), byId.get(r.imageId()));
        return of(byPath);
    }

    /** A criterion from benefits measured elsewhere (per image file). */
    public static ApCriterion of(Map<Path, Double> benefits) {
        if (benefits.isEmpty()) throw new IllegalArgumentException("no benefit given");
        Map<Path, Double> byPath = new HashMap<>();
        benefits.forEach((p, b) -> {
            if (b == null || !Double.isFinite(b))
                throw new IllegalArgumentException("benefit of " + p + " is not a finite number: " + b);
            byPath.put(key(p), b);
        });
        return new ApCriterion(byPath);
    }

    private static Path key(Path p) {
        return p.toAbsolutePath().normalize();
    }

    /** The mean benefit, the offset every image's benefit is measured against. */
    public double offset() {
        return mean;
    }

    /** The benefit of one image measured by {@link #measure}. */
    public double benefit(Path image) {
        Double b = benefits.get(key(image));
        if (b == null)
            throw new IllegalArgumentException(
                    "the AP criterion has no benefit for " + image + ": it was not among the measured images");
        return b;
    }

    /**
     * @param scores the router's easiness scores (B, 1) of the batch's images, in order
     * @param images the batch's image files
     */
    public Result compute(NDArray scores, List<Path> images) {
        NDManager m = scores.getManager();
        NDArray total = m.zeros(new Shape(1));
        List<ImageLoss> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            double b = benefit(images.get(i));
            NDArray s = scores.get(i + ":" + (i + 1) + ", 0");
            // s * (b - Delta) with the benefit a constant: a larger s lowers the loss when the image gains less than
            // the mean
            NDArray loss = Scalars.mul(s, (float) (b - mean));
            total = total.add(loss);
            out.add(new ImageLoss(b, mean, s.getFloat(0), loss.getFloat(0)));
        }
        return new Result(total, out);
    }

    @Override
    public String toString() {
        double[] v = benefits.values().stream().mapToDouble(Double::doubleValue).toArray();
        double[] sorted = Arrays.stream(v).sorted().toArray();
        return String.format(
                "AP criterion over %d images: mean benefit %.5f, median %.5f",
                v.length, mean, sorted[sorted.length / 2]);
    }
}
