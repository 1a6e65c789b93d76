package io.dydet.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * YOLOv7's confusion matrix: detections above {@code conf} matched one-to-one to ground truth with IoU above
 * {@code iou} (highest IoU first); rows are predicted classes, columns true classes, with a final background row
 * (missed objects) and column (false detections).
 */
public final class ConfusionMatrix {
    private final int[] categoryIds;
    private final Map<Integer, Integer> index = new HashMap<>();
    private final long[][] counts;

    private ConfusionMatrix(int[] categoryIds) {
        this.categoryIds = categoryIds.clone();
        for (int i = 0; i < categoryIds.length; i++) index.put(categoryIds[i], i);
        counts = new long[categoryIds.length + 1][categoryIds.length + 1];
    }

    public static ConfusionMatrix compute(
            CocoGroundTruth gt, List<CocoDetection> dets, Collection<Long> imageIds, double conf, double iou) {
        ConfusionMatrix cm = new ConfusionMatrix(gt.categoryIds());
        int bg = cm.categoryIds.length;
        Set<Long> ids = new HashSet<>(imageIds);
        Map<Long, List<CocoGroundTruth.Annotation>> truth = new HashMap<>();
        for (CocoGroundTruth.Annotation a : gt.annotations())
            if (!a.iscrowd() && ids.contains(a.imageId()))
                truth.computeIfAbsent(a.imageId(), k -> new ArrayList<>()).add(a);
        Map<Long, List<CocoDetection>> pred = new HashMap<>();
        for (CocoDetection d : dets)
            if (d.score() > conf && ids.contains(d.imageId()))
                pred.computeIfAbsent(d.imageId(), k -> new ArrayList<>()).add(d);
        for (long id : ids) {
            List<CocoGroundTruth.Annotation> t = truth.getOrDefault(id, List.of());
            List<CocoDetection> p = pred.getOrDefault(id, List.of());
            List<double[]> pairs = new ArrayList<>(); // (gt index, det index, iou)
            for (int i = 0; i < t.size(); i++) {
                for (int j = 0; j < p.size(); j++) {
                    double v = DetectionMetrics.iou(p.get(j), t.get(i));
                    if (v > iou) pairs.add(new double[] {i, j, v});
                }
            }
            pairs.sort((a, b) -> Double.compare(b[2], a[2]));
            Set<Integer> gtUsed = new HashSet<>(), detUsed = new HashSet<>();
            for (double[] pr : pairs) {
                int gi = (int) pr[0], dj = (int) pr[1];
                if (gtUsed.contains(gi) || detUsed.contains(dj)) continue;
                gtUsed.add(gi);
                detUsed.add(dj);
                cm.add(p.get(dj).categoryId(), t.get(gi).categoryId());
            }
            for (int i = 0; i < t.size(); i++)
                if (!gtUsed.contains(i)) cm.counts[bg][cm.idx(t.get(i).categoryId())]++;
            for (int j = 0; j < p.size(); j++)
                if (!detUsed.contains(j)) cm.counts[cm.idx(p.get(j).categoryId())][bg]++;
        }
        return cm;
    }

    private int idx(int category) {
        Integer i = index.get(category);
        return i == null ? categoryIds.length : i;
    }

    private void add(int predicted, int truth) {
        counts[idx(predicted)][idx(truth)]++;
    }

    /** counts[predicted][true]; the last row/column is background. */
    public long[][] counts() {
        long[][] c = new long[counts.length][];
        for (int i = 0; i < c.length; i++) c[i] = counts[i].clone();
        return c;
    }

    public int[] categoryIds() {
        return categoryIds.clone();
    }

    /** Each column (true class) divided by its total, as the original plots it. */
    public double[][] normalisedByTrueClass() {
        int n = counts.length;
        double[][] out = new double[n][n];
        for (int c = 0; c < n; c++) {
            long sum = 0;
            for (long[] row : counts) sum += row[c];
            for (int r = 0; r < n; r++) out[r][c] = sum == 0 ? 0 : (double) counts[r][c] / sum;
        }
        return out;
    }
}
