package io.dydet.infer;

import ai.djl.ndarray.NDManager;
import io.dydet.data.ImageException;
import io.dydet.engine.Engines;
import io.dydet.model.Network;
import io.dydet.model.Route;
import io.dydet.model.RoutedModel;
import io.dydet.model.ThresholdTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.opencv.core.Mat;

/**
 * Router calibration (the original's get_dynamic_thres.py): easiness scores of every calibration image with the
 * evaluation preprocessing ({@link RectStage}), only the first backbone and the router running, batched by equal shape (so scores
 * equal batch 1; {@link ShapeBatcher} hands out a shape's batch as soon as it is full), turned into a {@link ThresholdTable}.
 */
public final class Calibrator {
    /** Scores and per-image route costs; images that could not be read are listed in {@code skipped}. */
    public record Scores(float[] scores, double[] route1Gflops, double[] route2Gflops, List<String> skipped) {}

    private Calibrator() {}

    /** @param progress called with (images done, total): (0, total) first, when the work starts */
    public static Scores scores(
            RoutedModel model,
            List<Path> images,
            int imageSize,
            int batch,
            long pixelLimit,
            BiConsumer<Integer, Integer> progress) {
        if (!model.network().isDynamic())
            throw new IllegalArgumentException("the model has no router to calibrate (a step-1 definition)");
        if (progress != null) progress.accept(0, images.size());
        Engines.setGradEnabled(false);
        RectStage rect = new RectStage(imageSize, model.network().maxStride());
        Network costs = model.network().fused(); // GFLOPs are counted on the deploy form
        ShapeBatcher<Preprocess.Prepared> batcher = new ShapeBatcher<>(batch);
        List<String> skipped = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Double> g1 = new ArrayList<>(), g2 = new ArrayList<>();
        int done = 0;
        for (Path f : images) {
            try {
                Preprocess.Prepared p = rect.read(f, pixelLimit);
                List<Preprocess.Prepared> full =
                        batcher.add(new int[] {p.padded().rows(), p.padded().cols()}, p);
                if (full != null) {
                    flush(model, costs, full, scores, g1, g2);
                    done += full.size();
                    if (progress != null) progress.accept(done + skipped.size(), images.size());
                }
            } catch (ImageException e) {
                skipped.add(e.getMessage());
            }
        }
        for (List<Preprocess.Prepared> g : batcher.rest()) flush(model, costs, g, scores, g1, g2);
        if (progress != null) progress.accept(images.size(), images.size());
        float[] s = new float[scores.size()];
        double[] a = new double[s.length], b = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            a[i] = g1.get(i);
            b[i] = g2.get(i);
        }
        return new Scores(s, a, b, skipped);
    }

    private static void flush(
            RoutedModel model,
            Network costs,
            List<Preprocess.Prepared> g,
            List<Float> scores,
            List<Double> g1,
            List<Double> g2) {
        List<Mat> mats = new ArrayList<>();
        for (Preprocess.Prepared p : g) mats.add(p.padded());
        try (NDManager pass = NDManager.newBaseManager(model.device())) {
            float[] s = model.easiness(io.dydet.data.Images.toInput(pass, mats));
            for (int i = 0; i < s.length; i++) {
                scores.add(s[i]);
                int h = mats.get(i).rows(), w = mats.get(i).cols();
                g1.add(costs.gflops(Route.ROUTE1, h, w));
                g2.add(costs.gflops(Route.ROUTE2, h, w));
            }
        } finally {
            for (Mat m : mats) m.release();
        }
    }
}
