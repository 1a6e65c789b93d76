package io.dydet.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.eval.CocoDetection;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.CocoMetrics;
import io.dydet.eval.ConfusionMatrix;
import io.dydet.eval.DetectionMetrics;
import io.dydet.files.AtomicFile;
import io.dydet.json.Json;
import io.dydet.runs.Plots;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files an {@link Evaluation} writes into its run folder: predictions.json, metrics.json, the PR and F1 curves and
 * the confusion matrix (the sweep's files are {@link SweepFiles}).
 */
final class EvaluationFiles {
    private EvaluationFiles() {}

    /** predictions.json: the detections in the COCO results format. */
    static void writePredictions(Path run, List<CocoDetection> dets) throws IOException {
        ObjectMapper mapper = Json.PRETTY;
        List<Map<String, Object>> rows = new ArrayList<>();
        for (CocoDetection d : dets) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("image_id", d.imageId());
            row.put("category_id", d.categoryId());
            row.put("bbox", new double[] {d.x(), d.y(), d.width(), d.height()});
            row.put("score", d.score());
            rows.add(row);
        }
        AtomicFile.write(run.resolve("predictions.json"), out -> mapper.writeValue(out, rows));
    }

    /** The COCO metrics then the internal ones, a mutable map for the run's own values to follow. */
    static Map<String, Object> metrics(CocoMetrics m, DetectionMetrics.Result internal) throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> metrics = new LinkedHashMap<>(Json.PRETTY.readValue(m.toJson(), Map.class));
        metrics.put("internal", internal.toJson());
        return metrics;
    }

    /** metrics.json. */
    static void writeMetrics(Path run, Map<String, Object> metrics) throws IOException {
        AtomicFile.write(run.resolve("metrics.json"), out -> Json.PRETTY.writeValue(out, metrics));
    }

    static void writeConfusionMatrix(ConfusionMatrix cm, CocoGroundTruth truth, Path run) throws IOException {
        Map<Integer, String> names = new HashMap<>();
        for (CocoGroundTruth.Category c : truth.categories()) names.put(c.id(), c.name());
        List<String> labels = new ArrayList<>();
        for (int id : cm.categoryIds()) labels.add(names.getOrDefault(id, Integer.toString(id)));
        labels.add("background");
        Plots.heatmap(
                run.resolve("confusion_matrix.png"),
                "Confusion matrix (conf 0.25, IoU 0.45), columns normalised",
                "predicted",
                "true",
                cm.normalisedByTrueClass(),
                labels);
    }

    /** PR curve and F1 curve (means over classes, IoU 0.5) as PNGs. */
    static void writeCurves(DetectionMetrics.Result r, Path run) throws IOException {
        int g = DetectionMetrics.GRID;
        double[] conf = new double[g], p = new double[g], rec = new double[g], f1 = new double[g];
        int k = Math.max(1, r.classes().size());
        for (int i = 0; i < g; i++) {
            conf[i] = (double) i / (g - 1);
            double f = 0;
            for (DetectionMetrics.ClassResult c : r.classes()) {
                p[i] += c.precisionCurve()[i] / k;
                rec[i] += c.recallCurve()[i] / k;
                f += 2
                        * c.precisionCurve()[i]
                        * c.recallCurve()[i]
                        / (c.precisionCurve()[i] + c.recallCurve()[i] + 1e-16);
            }
            f1[i] = f / k;
        }
        Plots.line(
                run.resolve("PR_curve.png"),
                String.format("Precision-recall (all classes, IoU 0.5), mAP@.5 %.3f", r.map50()),
                "recall",
                "precision",
                rec,
                p,
                null);
        Plots.line(
                run.resolve("F1_curve.png"),
                "F1 against confidence (mean over classes)",
                "confidence",
                "F1",
                conf,
                f1,
                null);
    }
}
