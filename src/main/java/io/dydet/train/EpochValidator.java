package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.data.Images;
import io.dydet.data.YoloLabels;
import io.dydet.engine.Engines;
import io.dydet.eval.CocoDetection;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.DetectionMetrics;
import io.dydet.eval.NmsOptions;
import io.dydet.infer.Validator;
import io.dydet.infer.YoloGroundTruth;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.Network;
import io.dydet.model.Route;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Per-epoch validation as the original runs it during training (design.md, Training step 1): the EMA weights, the evaluation
 * preprocessing (rect batches, pad 0.5), conf 0.001, NMS IoU 0.6, the internal AP. Both routes are measured: route 2
 * (what the original reports and picks {@code best} by) and route 1 beside it; with {@code dynamicThreshold} set
 * (step 2) the routed result at that threshold is reported as the main one.
 */
final class EpochValidator {
    /** Route 2 (or routed) metrics and route 1 metrics. */
    record Result(DetectionMetrics.Result main, DetectionMetrics.Result route1) {}

    static final float TRAINING_NMS_IOU = 0.6f;

    private final List<Path> images;
    private final CocoGroundTruth truth;
    private final int imageSize;
    private final int batch;

    private final List<String> problems = new ArrayList<>();

    /** Images whose labels cannot be read are left out of validation and listed in {@link #problems()}. */
    EpochValidator(List<Path> images, int nc, int imageSize, int batch) throws IOException {
        List<Path> usable = new ArrayList<>();
        for (Path p : images) {
            try {
                YoloLabels.read(p, nc);
                usable.add(p);
            } catch (YoloLabels.LabelException e) {
                problems.addAll(e.problems());
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        if (usable.isEmpty())
            throw new IOException("no validation image has readable labels; first problem: " + problems.get(0));
        this.images = List.copyOf(usable);
        this.truth = YoloGroundTruth.build(usable, nc);
        this.imageSize = imageSize;
        this.batch = batch;
    }

    List<String> problems() {
        return problems;
    }

    int size() {
        return images.size();
    }

    /**
     * @param weights tensors by state-dict name (EMA weights), on any manager
     * @param dynamicThreshold route by the router at this threshold (step 2), or NaN for route 2 (step 1)
     */
    Result run(
            Network network,
            Map<String, NDArray> weights,
            NDManager parent,
            float dynamicThreshold,
            BiConsumer<Integer, Integer> progress) {
        boolean grad = Engines.isGradEnabled();
        try (NDManager m = parent.newSubManager()) {
            DynamicDetModel model = DynamicDetModel.fromStateDict(network, weights, m.newSubManager(), "EMA weights");
            DynamicDetModel fused = model.fuse(m.newSubManager());
            NmsOptions nms = NmsOptions.forEval().withIou(TRAINING_NMS_IOU);
            float threshold = Float.isNaN(dynamicThreshold) ? 0f : dynamicThreshold;
            Validator.Options o =
                    new Validator.Options(imageSize, threshold, nms, batch, Images.DEFAULT_PIXEL_LIMIT, true);
            List<Validator.ImageResult> results = Validator.run(fused, images, o, null, progress);
            List<CocoDetection> main = new ArrayList<>(), easy = new ArrayList<>();
            List<Long> ids = new ArrayList<>();
            for (Validator.ImageResult r : results) {
                if (r.error() != null) continue;
                ids.add(r.imageId());
                main.addAll(
                        Float.isNaN(dynamicThreshold)
                                ? r.perRoute().get(Route.ROUTE2).detections()
                                : r.detections());
                easy.addAll(r.perRoute().get(Route.ROUTE1).detections());
            }
            return new Result(DetectionMetrics.compute(truth, main, ids), DetectionMetrics.compute(truth, easy, ids));
        } finally {
            Engines.setGradEnabled(grad);
        }
    }
}
