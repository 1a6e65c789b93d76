package io.dydet.train;

import io.dydet.data.train.LabelledImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The original's anchor check at the start of training (design.md, Training step 1): how well the anchors fit the data set's boxes
 * (best possible recall: the share of boxes whose best anchor is within the anchor_t ratio), and, below 0.98, new
 * anchors from whitened k-means and a mutation search. Works on the label sizes only; the caller writes the result
 * into the second head's anchors (the first keeps the definition's, as the original).
 */
public final class Autoanchor {
    /** The check's outcome: the recall before, and the new anchors (pixels, by level) with their recall, or null. */
    public record Result(double recall, double anchorsAboveThreshold, float[][][] anchors, double newRecall) {
        public boolean changed() {
            return anchors != null;
        }
    }

    static final double MIN_RECALL = 0.98;

    private Autoanchor() {}

    /** Box sizes in pixels at training size: each image scaled so its long side is {@code imageSize}, times U(0.9, 1.1) when {@code jitter}. */
    static double[][] sizes(List<LabelledImage> images, int imageSize, Random rng, boolean jitter) {
        List<double[]> out = new ArrayList<>();
        for (LabelledImage im : images) {
            double s = (double) imageSize / Math.max(im.height(), im.width());
            double j = jitter ? 0.9 + 0.2 * rng.nextDouble() : 1.0;
            for (float[] l : im.labels()) out.add(new double[] {l[3] * im.width() * s * j, l[4] * im.height() * s * j});
        }
        return out.toArray(new double[0][]);
    }

    /** Best ratio metric per box: max over anchors of min(r, 1/r) over width and height. */
    static double[] best(double[][] wh, double[][] anchors) {
        double[] best = new double[wh.length];
        for (int i = 0; i < wh.length; i++) {
            double b = 0;
            for (double[] a : anchors) b = Math.max(b, ratio(wh[i], a));
            best[i] = b;
        }
        return best;
    }

    private static double ratio(double[] wh, double[] a) {
        double rw = wh[0] / a[0], rh = wh[1] / a[1];
        return Math.min(Math.min(rw, 1 / rw), Math.min(rh, 1 / rh));
    }

    /**
     * @param anchors current anchors in pixels, by level and anchor
     */
    public static Result check(
            List<LabelledImage> images, float[][][] anchors, int imageSize, double anchorT, long seed) {
        Random rng = new Random(seed);
        double[][] wh = sizes(images, imageSize, rng, true);
        double[][] flat = flatten(anchors);
        double thr = 1 / anchorT;
        double recall = 0, above = 0;
        for (int i = 0; i < wh.length; i++) {
            int count = 0;
            double b = 0;
            for (double[] a : flat) {
                double r = ratio(wh[i], a);
                b = Math.max(b, r);
                if (r > thr) count++;
            }
            if (b > thr) recall++;
            above += count;
        }
        recall /= Math.max(wh.length, 1);
        above /= Math.max(wh.length, 1);
        if (recall >= MIN_RECALL || wh.length == 0) return new Result(recall, above, null, recall);
        int na = anchors[0].length;
        double[][] evolved = kmeanAnchors(sizes(images, imageSize, rng, false), flat.length, anchorT, 1000, rng);
        double newRecall = Arrays.stream(best(wh, evolved)).filter(b -> b > thr).count() / (double) wh.length;
        if (newRecall <= recall) return new Result(recall, above, null, newRecall);
        float[][][] out = new float[anchors.length][na][2];
        for (int k = 0; k < evolved.length; k++)
            out[k / na][k % na] = new float[] {(float) evolved[k][0], (float) evolved[k][1]};
        return new Result(recall, above, out, newRecall);
    }

    private static double[][] flatten(float[][][] anchors) {
        List<double[]> out = new ArrayList<>();
        for (float[][] level : anchors) for (float[] a : level) out.add(new double[] {a[0], a[1]});
        return out.toArray(new double[0][]);
    }

    /** Whitened k-means (30 restarts) then a mutation search maximising the mean best ratio above threshold; sorted by area. */
    static double[][] kmeanAnchors(double[][] wh0, int n, double anchorT, int generations, Random rng) {
        double thr = 1 / anchorT;
        double[][] wh = Arrays.stream(wh0).filter(w -> w[0] >= 2 || w[1] >= 2).toArray(double[][]::new);
        double[] std = {std(wh, 0), std(wh, 1)};
        double[][] white = Arrays.stream(wh)
                .map(w -> new double[] {w[0] / std[0], w[1] / std[1]})
                .toArray(double[][]::new);
        double[][] k = kmeans(white, n, 30, rng);
        for (double[] c : k) {
            c[0] *= std[0];
            c[1] *= std[1];
        }
        sortByArea(k);
        double f = fitness(k, wh, thr);
        for (int g = 0; g < generations; g++) {
            double[][] v = new double[n][2];
            boolean allOne = true;
            while (allOne) {
                double scale = rng.nextDouble();
                for (double[] row : v) {
                    for (int j = 0; j < 2; j++) {
                        double m = rng.nextDouble() < 0.9 ? scale * rng.nextGaussian() * 0.1 : 0;
                        row[j] = Math.min(3.0, Math.max(0.3, m + 1));
                        if (row[j] != 1) allOne = false;
                    }
                }
            }
            double[][] kg = new double[n][2];
            for (int i = 0; i < n; i++) for (int j = 0; j < 2; j++) kg[i][j] = Math.max(2.0, k[i][j] * v[i][j]);
            double fg = fitness(kg, wh, thr);
            if (fg > f) {
                f = fg;
                k = kg;
            }
        }
        sortByArea(k);
        return k;
    }

    private static double fitness(double[][] k, double[][] wh, double thr) {
        double sum = 0;
        for (double b : best(wh, k)) if (b > thr) sum += b;
        return sum / wh.length;
    }

    private static void sortByArea(double[][] k) {
        Arrays.sort(k, Comparator.comparingDouble(a -> a[0] * a[1]));
    }

    private static double std(double[][] v, int j) {
        double m = 0, s = 0;
        for (double[] r : v) m += r[j];
        m /= v.length;
        for (double[] r : v) s += (r[j] - m) * (r[j] - m);
        return Math.sqrt(s / v.length);
    }

    /** Lloyd's k-means from {@code restarts} random starts (scipy's kmeans does the same), keeping the lowest distortion. */
    static double[][] kmeans(double[][] x, int k, int restarts, Random rng) {
        double[][] bestC = null;
        double bestD = Double.POSITIVE_INFINITY;
        for (int r = 0; r < restarts; r++) {
            double[][] c = new double[k][];
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < x.length; i++) idx.add(i);
            Collections.shuffle(idx, rng);
            for (int i = 0; i < k; i++) c[i] = x[idx.get(i % x.length)].clone();
            double prev = Double.POSITIVE_INFINITY;
            for (int it = 0; it < 100; it++) {
                double[][] sum = new double[k][2];
                int[] count = new int[k];
                double dist = 0;
                for (double[] p : x) {
                    int b = 0;
                    double bd = Double.POSITIVE_INFINITY;
                    for (int i = 0; i < k; i++) {
                        double d = Math.hypot(p[0] - c[i][0], p[1] - c[i][1]);
                        if (d < bd) {
                            bd = d;
                            b = i;
                        }
                    }
                    sum[b][0] += p[0];
                    sum[b][1] += p[1];
                    count[b]++;
                    dist += bd;
                }
                for (int i = 0; i < k; i++)
                    if (count[i] > 0) c[i] = new double[] {sum[i][0] / count[i], sum[i][1] / count[i]};
                dist /= x.length;
                if (prev - dist < 1e-5) {
                    prev = dist;
                    break;
                }
                prev = dist;
            }
            if (prev < bestD) {
                bestD = prev;
                bestC = c;
            }
        }
        return bestC;
    }
}
