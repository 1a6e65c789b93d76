package io.dydet.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The original's internal metrics (utils/metrics.py, printed by test.py and used for training fitness, design.md, Evaluation):
 * per-image matching of each prediction to its best-IoU target of the same class, AP per class by trapezoidal
 * integration of the interpolated precision envelope, and P, R at the confidence that maximises the mean F1.
 * Close to, but not the same as, COCO's AP.
 */
public final class DetectionMetrics {
    /** IoU thresholds .50:.05:.95. */
    static final double[] IOU = {0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};
    /** Confidence grid of the curves. */
    public static final int GRID = 1000;

    /** Per-class results and curves over the confidence grid (IoU 0.5). */
    public record ClassResult(
            int categoryId,
            int targets,
            int predictions,
            double precision,
            double recall,
            double ap50,
            double ap,
            Curves curves) {
        public double[] precisionCurve() {
            return curves.precision();
        }

        public double[] recallCurve() {
            return curves.recall();
        }
    }

    /** Precision and recall over the confidence grid, one value per grid step. */
    public record Curves(double[] precision, double[] recall) {}

    /** Means over the classes that have targets, as test.py prints them. */
    public record Result(
            double precision,
            double recall,
            double map50,
            double map,
            List<ClassResult> classes,
            int images,
            int targets) {
        /** The training fitness: 0.1 mAP@.5 + 0.9 mAP@.5:.95. */
        public double fitness() {
            return 0.1 * map50 + 0.9 * map;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("P", precision);
            m.put("R", recall);
            m.put("mAP50", map50);
            m.put("mAP50_95", map);
            m.put("fitness", fitness());
            Map<String, Object> per = new LinkedHashMap<>();
            for (ClassResult c : classes) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("targets", c.targets());
                x.put("P", c.precision());
                x.put("R", c.recall());
                x.put("AP50", c.ap50());
                x.put("AP50_95", c.ap());
                per.put(Integer.toString(c.categoryId()), x);
            }
            m.put("per_class", per);
            return m;
        }
    }

    private DetectionMetrics() {}

    public static Result compute(CocoGroundTruth gt, List<CocoDetection> detections, Collection<Long> imageIds) {
        Set<Long> ids = new HashSet<>(imageIds);
        Map<Long, List<CocoGroundTruth.Annotation>> targets = new HashMap<>();
        for (CocoGroundTruth.Annotation a : gt.annotations()) {
            if (a.iscrowd() || !ids.contains(a.imageId()))
                continue; // the YOLO labels the original uses leave crowds out
            targets.computeIfAbsent(a.imageId(), k -> new ArrayList<>()).add(a);
        }
        Map<Long, List<CocoDetection>> preds = new HashMap<>();
        for (CocoDetection d : detections)
            if (ids.contains(d.imageId()))
                preds.computeIfAbsent(d.imageId(), k -> new ArrayList<>()).add(d);
        List<boolean[]> correct = new ArrayList<>();
        List<Double> conf = new ArrayList<>();
        List<Integer> pcls = new ArrayList<>();
        List<Integer> tcls = new ArrayList<>();
        for (long id : ids) {
            List<CocoGroundTruth.Annotation> t = targets.getOrDefault(id, List.of());
            List<CocoDetection> p = new ArrayList<>(preds.getOrDefault(id, List.of()));
            p.sort((a, b) -> Double.compare(b.score(), a.score()));
            for (CocoGroundTruth.Annotation a : t) tcls.add(a.categoryId());
            boolean[][] corr = new boolean[p.size()][IOU.length];
            if (!t.isEmpty()) match(p, t, corr);
            for (int i = 0; i < p.size(); i++) {
                correct.add(corr[i]);
                conf.add(p.get(i).score());
                pcls.add(p.get(i).categoryId());
            }
        }
        return apPerClass(correct, conf, pcls, tcls, ids.size());
    }

    /** test.py's matching: per class, each prediction's best target; first come (by confidence), first matched. */
    private static void match(List<CocoDetection> p, List<CocoGroundTruth.Annotation> t, boolean[][] corr) {
        Set<Integer> detected = new HashSet<>();
        for (int cls : new TreeSet<>(
                t.stream().map(CocoGroundTruth.Annotation::categoryId).toList())) {
            List<Integer> ti = new ArrayList<>(), pi = new ArrayList<>();
            for (int k = 0; k < t.size(); k++) if (t.get(k).categoryId() == cls) ti.add(k);
            for (int k = 0; k < p.size(); k++) if (p.get(k).categoryId() == cls) pi.add(k);
            Set<Integer> detectedHere = new HashSet<>();
            for (int j : pi) {
                CocoDetection d = p.get(j);
                double best = -1;
                int bestT = -1;
                for (int k : ti) {
                    double iou = iou(d, t.get(k));
                    if (iou > best) {
                        best = iou;
                        bestT = k;
                    }
                }
                if (!(best > IOU[0]) || detectedHere.contains(bestT)) continue;
                detectedHere.add(bestT);
                detected.add(bestT);
                for (int q = 0; q < IOU.length; q++) corr[j][q] = best > IOU[q];
                if (detected.size() == t.size()) return;
            }
        }
    }

    /** IoU of a detection and a ground-truth box, both COCO [x, y, w, h] (shared with the confusion matrix). */
    static double iou(CocoDetection d, CocoGroundTruth.Annotation a) {
        double w = Math.max(0, Math.min(d.x() + d.width(), a.x() + a.width()) - Math.max(d.x(), a.x()));
        double h = Math.max(0, Math.min(d.y() + d.height(), a.y() + a.height()) - Math.max(d.y(), a.y()));
        double inter = w * h;
        return inter / (d.width() * d.height() + a.width() * a.height() - inter + 1e-16);
    }

    private static Result apPerClass(
            List<boolean[]> correct, List<Double> conf, List<Integer> pcls, List<Integer> tcls, int images) {
        int n = conf.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(conf.get(b), conf.get(a)));
        TreeSet<Integer> classes = new TreeSet<>(tcls);
        double[] px = new double[GRID];
        for (int i = 0; i < GRID; i++) px[i] = (double) i / (GRID - 1);
        List<ClassResult> out = new ArrayList<>();
        double[][] pAll = new double[classes.size()][GRID], rAll = new double[classes.size()][GRID];
        double[][] ap = new double[classes.size()][IOU.length];
        int ci = 0;
        int[] nTargets = new int[classes.size()], nPreds = new int[classes.size()];
        for (int c : classes) {
            int nl = 0;
            for (int t : tcls) if (t == c) nl++;
            List<Integer> idx = new ArrayList<>();
            for (int k : order) if (pcls.get(k) == c) idx.add(k);
            nTargets[ci] = nl;
            nPreds[ci] = idx.size();
            if (!idx.isEmpty() && nl > 0) {
                int np = idx.size();
                double[][] recall = new double[IOU.length][np], precision = new double[IOU.length][np];
                double[] confs = new double[np];
                for (int q = 0; q < IOU.length; q++) {
                    double tp = 0, fp = 0;
                    for (int k = 0; k < np; k++) {
                        if (correct.get(idx.get(k))[q]) tp++;
                        else fp++;
                        recall[q][k] = tp / (nl + 1e-16);
                        precision[q][k] = tp / (tp + fp);
                    }
                }
                for (int k = 0; k < np; k++) confs[k] = conf.get(idx.get(k));
                // np.interp(-px, -conf, values, left=...) over descending confidences
                for (int g = 0; g < GRID; g++) {
                    rAll[ci][g] = interpDescending(px[g], confs, recall[0], 0);
                    pAll[ci][g] = interpDescending(px[g], confs, precision[0], 1);
                }
                for (int q = 0; q < IOU.length; q++) ap[ci][q] = computeAp(recall[q], precision[q]);
            }
            ci++;
        }
        // P and R at the grid confidence of the best mean F1
        int best = 0;
        double bestF1 = -1;
        for (int g = 0; g < GRID; g++) {
            double f = 0;
            for (int k = 0; k < classes.size(); k++)
                f += 2 * pAll[k][g] * rAll[k][g] / (pAll[k][g] + rAll[k][g] + 1e-16);
            f /= Math.max(1, classes.size());
            if (f > bestF1) {
                bestF1 = f;
                best = g;
            }
        }
        double mp = 0, mr = 0, map50 = 0, map = 0;
        ci = 0;
        int totalTargets = 0;
        for (int c : classes) {
            double apMean = Arrays.stream(ap[ci]).average().orElse(0);
            out.add(new ClassResult(
                    c,
                    nTargets[ci],
                    nPreds[ci],
                    pAll[ci][best],
                    rAll[ci][best],
                    ap[ci][0],
                    apMean,
                    new Curves(pAll[ci], rAll[ci])));
            mp += pAll[ci][best];
            mr += rAll[ci][best];
            map50 += ap[ci][0];
            map += apMean;
            totalTargets += nTargets[ci];
            ci++;
        }
        int k = Math.max(1, classes.size());
        return new Result(mp / k, mr / k, map50 / k, map / k, out, images, totalTargets);
    }

    /** np.interp(-x, -xs, ys, left) where xs is descending: ys at the first confidence >= ... linearly. */
    static double interpDescending(double x, double[] xsDesc, double[] ys, double left) {
        // -xs ascending; query -x
        double q = -x;
        int n = xsDesc.length;
        if (q < -xsDesc[0]) return left;
        if (q >= -xsDesc[n - 1]) return ys[n - 1];
        for (int i = 0; i < n - 1; i++) {
            double a = -xsDesc[i], b = -xsDesc[i + 1];
            if (q >= a && q <= b) return b == a ? ys[i + 1] : ys[i] + (ys[i + 1] - ys[i]) * (q - a) / (b - a);
        }
        return ys[n - 1];
    }

    /** compute_ap: envelope over [0, recall..., last + 0.01] and [1, precision..., 0], trapezoid over 101 points. */
    static double computeAp(double[] recall, double[] precision) {
        int n = recall.length;
        double[] mrec = new double[n + 2], mpre = new double[n + 2];
        mrec[0] = 0;
        mpre[0] = 1;
        for (int i = 0; i < n; i++) {
            mrec[i + 1] = recall[i];
            mpre[i + 1] = precision[i];
        }
        mrec[n + 1] = recall[n - 1] + 0.01;
        mpre[n + 1] = 0;
        for (int i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
        double ap = 0, prevX = 0, prevY = interp(0, mrec, mpre);
        for (int k = 1; k <= 100; k++) {
            double x = k / 100.0, y = interp(x, mrec, mpre);
            ap += (x - prevX) * (y + prevY) / 2;
            prevX = x;
            prevY = y;
        }
        return ap;
    }

    /** np.interp on ascending xs (clamped at both ends). */
    static double interp(double x, double[] xs, double[] ys) {
        if (x <= xs[0]) return ys[0];
        int n = xs.length;
        if (x >= xs[n - 1]) return ys[n - 1];
        int lo = 0, hi = n - 1;
        // last index with xs[i] <= x (np.interp takes the right-most of equal xs)
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (xs[mid] <= x) lo = mid;
            else hi = mid;
        }
        double a = xs[lo], b = xs[lo + 1];
        return b == a ? ys[lo + 1] : ys[lo] + (ys[lo + 1] - ys[lo]) * (x - a) / (b - a);
    }
}
