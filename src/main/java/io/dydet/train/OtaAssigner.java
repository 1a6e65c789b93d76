package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * YOLOv7's target assignment (design.md, Training step 1): candidates are the cell holding a target's centre plus the two
 * nearest neighbours, for every anchor whose shape ratio to the target is below {@code anchor_t}; then, per
 * image, SimOTA keeps for each target its {@code dynamic_k} cheapest candidates (cost = class BCE of
 * sqrt(cls * obj) + 3 * -ln IoU) and gives a candidate chosen twice to the target that costs least.
 *
 * <p>The assignment reads the predictions but does not differentiate through them. It runs on the host: the
 * candidate lists are short, and topk with data-dependent k has no engine form worth the round trips.
 */
final class OtaAssigner {
    private static final float[][] OFFSETS = {{0, 0}, {0.5f, 0}, {0, 0.5f}, {-0.5f, 0}, {0, -0.5f}};

    private final float[][][] anchors; // (levels, na, 2) grid units
    private final int[] strides;
    private final float anchorT;
    private final int nc;

    OtaAssigner(float[][][] anchors, int[] strides, double anchorT, int nc) {
        this.anchors = anchors;
        this.strides = strides;
        this.anchorT = (float) anchorT;
        this.nc = nc;
    }

    /** Candidates of one level, in the original's order: neighbour offset, then anchor, then target. */
    private record Candidates(int[] image, int[] anchor, int[] gj, int[] gi, int[] targetRow) {}

    private Candidates findCandidates(float[][] targets, int level, int ny, int nx) {
        float[][] a = anchors[level];
        int na = a.length, nt = targets.length;
        List<int[]> kept = new ArrayList<>(); // (anchor, target)
        for (int ai = 0; ai < na; ai++) {
            for (int t = 0; t < nt; t++) {
                float rw = targets[t][4] * nx / a[ai][0], rh = targets[t][5] * ny / a[ai][1];
                float worst = Math.max(Math.max(rw, 1f / rw), Math.max(rh, 1f / rh));
                if (worst < anchorT) kept.add(new int[] {ai, t});
            }
        }
        int cap = kept.size() * 5;
        int[] img = new int[cap], anc = new int[cap], gj = new int[cap], gi = new int[cap], row = new int[cap];
        int n = 0;
        for (int o = 0; o < OFFSETS.length; o++) {
            for (int[] k : kept) {
                float[] t = targets[k[1]];
                float gx = t[2] * nx, gy = t[3] * ny;
                float gxi = nx - gx, gyi = ny - gy;
                boolean use =
                        switch (o) {
                            case 0 -> true;
                            case 1 -> frac(gx) < 0.5f && gx > 1f;
                            case 2 -> frac(gy) < 0.5f && gy > 1f;
                            case 3 -> frac(gxi) < 0.5f && gxi > 1f;
                            default -> frac(gyi) < 0.5f && gyi > 1f;
                        };
                if (!use) continue;
                img[n] = (int) t[0];
                anc[n] = k[0];
                gi[n] = clamp((long) (gx - OFFSETS[o][0]), nx - 1);
                gj[n] = clamp((long) (gy - OFFSETS[o][1]), ny - 1);
                row[n] = k[1];
                n++;
            }
        }
        return new Candidates(
                Arrays.copyOf(img, n),
                Arrays.copyOf(anc, n),
                Arrays.copyOf(gj, n),
                Arrays.copyOf(gi, n),
                Arrays.copyOf(row, n));
    }

    private static float frac(float v) {
        return v - (float) Math.floor(v);
    }

    private static int clamp(long v, int max) {
        return (int) Math.max(0, Math.min(max, v));
    }

    /**
     * Assigns targets (rows: image, class, cx, cy, w, h normalised) to the predictions of one head.
     *
     * @param raw         the head's raw outputs, per level (B, na, ny, nx, nc + 5)
     * @param imageHeight the batch's image height; as the original, it scales both axes (square images)
     */
    List<LevelMatches> assign(NDList raw, float[][] targets, int imageHeight) {
        int nl = raw.size();
        Candidates[] cand = new Candidates[nl];
        float[][] preds = new float[nl][];
        int no = nc + 5;
        for (int i = 0; i < nl; i++) {
            NDArray p = raw.get(i);
            int na = (int) p.getShape().get(1),
                    ny = (int) p.getShape().get(2),
                    nx = (int) p.getShape().get(3);
            cand[i] = findCandidates(targets, i, ny, nx);
            preds[i] = gather(p, cand[i], na, ny, nx, no);
        }
        int batch = (int) raw.get(0).getShape().get(0);
        List<List<int[]>> chosen = new ArrayList<>(); // per level: (candidate index, matched target row)
        for (int i = 0; i < nl; i++) chosen.add(new ArrayList<>());
        for (int b = 0; b < batch; b++) {
            List<Integer> gts = new ArrayList<>();
            for (int t = 0; t < targets.length; t++) if ((int) targets[t][0] == b) gts.add(t);
            if (gts.isEmpty()) continue;
            // this image's candidates over all levels, in level then candidate order
            List<int[]> pool = new ArrayList<>(); // (level, candidate index)
            for (int i = 0; i < nl; i++)
                for (int c = 0; c < cand[i].image.length; c++) if (cand[i].image[c] == b) pool.add(new int[] {i, c});
            if (pool.isEmpty()) continue;
            int[] owner = simOta(gts, pool, cand, preds, targets, imageHeight, no);
            for (int c = 0; c < pool.size(); c++) {
                if (owner[c] < 0) continue;
                int[] lc = pool.get(c);
                chosen.get(lc[0]).add(new int[] {lc[1], gts.get(owner[c])});
            }
        }
        List<LevelMatches> out = new ArrayList<>(nl);
        for (int i = 0; i < nl; i++) {
            List<int[]> ch = chosen.get(i);
            int m = ch.size();
            LevelMatches lm =
                    new LevelMatches(new int[m], new int[m], new int[m], new int[m], new float[m][], new float[m][]);
            for (int k = 0; k < m; k++) {
                int c = ch.get(k)[0];
                lm.image()[k] = cand[i].image[c];
                lm.anchor()[k] = cand[i].anchor[c];
                lm.gj()[k] = cand[i].gj[c];
                lm.gi()[k] = cand[i].gi[c];
                lm.target()[k] = targets[ch.get(k)[1]].clone();
                lm.anchorWh()[k] = anchors[i][cand[i].anchor[c]].clone();
            }
            out.add(lm);
        }
        return out;
    }

    /** The candidates' raw predictions, (n * no) row-major. */
    private static float[] gather(NDArray p, Candidates c, int na, int ny, int nx, int no) {
        int n = c.image.length;
        if (n == 0) return new float[0];
        long[] idx = new long[n];
        for (int k = 0; k < n; k++) idx[k] = (((long) c.image[k] * na + c.anchor[k]) * ny + c.gj[k]) * nx + c.gi[k];
        try (NDArray flat = p.stopGradient().reshape(-1, no);
                NDArray index = p.getManager().create(idx).toDevice(p.getDevice(), false);
                NDArray rows = flat.get(new NDIndex("{}", index))) {
            return rows.toFloatArray();
        }
    }

    /** SimOTA for one image: for every pooled candidate, the index into {@code gts} it is assigned to, or -1. */
    private int[] simOta(
            List<Integer> gts,
            List<int[]> pool,
            Candidates[] cand,
            float[][] preds,
            float[][] targets,
            int imageHeight,
            int no) {
        int g = gts.size(), n = pool.size();
        double[][] gtBox = new double[g][];
        for (int k = 0; k < g; k++) {
            float[] t = targets[gts.get(k)];
            float cx = t[2] * imageHeight, cy = t[3] * imageHeight, w = t[4] * imageHeight, h = t[5] * imageHeight;
            gtBox[k] = new double[] {cx - w / 2f, cy - h / 2f, cx + w / 2f, cy + h / 2f};
        }
        double[][] predBox = new double[n][];
        double[] bceNegSum = new double[n]; // sum over classes of BCE(logit q, 0); BCE(x, 1) = BCE(x, 0) - x
        double[][] logitQ = new double[n][];
        for (int c = 0; c < n; c++) {
            int lvl = pool.get(c)[0], ci = pool.get(c)[1];
            float[] p = preds[lvl];
            int o = ci * no;
            int stride = strides[lvl];
            float[] anc = anchors[lvl][cand[lvl].anchor[ci]];
            double x = (sigmoid(p[o]) * 2 - 0.5 + cand[lvl].gi[ci]) * stride;
            double y = (sigmoid(p[o + 1]) * 2 - 0.5 + cand[lvl].gj[ci]) * stride;
            double w = Math.pow(sigmoid(p[o + 2]) * 2, 2) * anc[0] * stride;
            double h = Math.pow(sigmoid(p[o + 3]) * 2, 2) * anc[1] * stride;
            predBox[c] = new double[] {x - w / 2, y - h / 2, x + w / 2, y + h / 2};
            double obj = sigmoid(p[o + 4]);
            logitQ[c] = new double[nc];
            double s = 0;
            for (int k = 0; k < nc; k++) {
                double q = Math.sqrt(sigmoid(p[o + 5 + k]) * obj);
                double z = Math.log(q / (1 - q));
                logitQ[c][k] = z;
                s += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
            }
            bceNegSum[c] = s;
        }
        double[][] cost = new double[g][n];
        int[] dynamicK = new int[g];
        int topN = Math.min(10, n);
        for (int k = 0; k < g; k++) {
            double[] ious = new double[n];
            int cls = (int) targets[gts.get(k)][1];
            for (int c = 0; c < n; c++) {
                ious[c] = iou(gtBox[k], predBox[c]);
                cost[k][c] = (bceNegSum[c] - logitQ[c][cls]) + 3.0 * -Math.log(ious[c] + 1e-8);
            }
            double[] sorted = ious.clone();
            Arrays.sort(sorted);
            double sum = 0;
            for (int j = 0; j < topN; j++) sum += sorted[n - 1 - j];
            dynamicK[k] = Math.max(1, (int) sum);
        }
        int[][] matching = new int[g][n];
        for (int k = 0; k < g; k++) {
            for (int c : cheapest(cost[k], dynamicK[k])) matching[k][c] = 1;
        }
        int[] owner = new int[n];
        for (int c = 0; c < n; c++) {
            int count = 0, only = -1;
            for (int k = 0; k < g; k++)
                if (matching[k][c] == 1) {
                    count++;
                    only = k;
                }
            if (count == 0) {
                owner[c] = -1;
            } else if (count == 1) {
                owner[c] = only;
            } else { // chosen twice: the target that costs least over all targets of the image
                int best = 0;
                for (int k = 1; k < g; k++) if (cost[k][c] < cost[best][c]) best = k;
                owner[c] = best;
            }
        }
        return owner;
    }

    private static int[] cheapest(double[] cost, int k) {
        Integer[] order = new Integer[cost.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(cost[a], cost[b])); // stable: ties keep candidate order
        int[] out = new int[Math.min(k, order.length)];
        for (int i = 0; i < out.length; i++) out[i] = order[i];
        return out;
    }

    private static double iou(double[] a, double[] b) {
        double iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
        double ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
        double inter = Math.max(iw, 0) * Math.max(ih, 0);
        double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return inter / union;
    }

    private static double sigmoid(float x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}
