package io.dydet.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * COCO bbox evaluation, numerically the same as pycocotools' {@code COCOeval(gt, dt, 'bbox')} with default parameters
 * followed by {@code evaluate(); accumulate(); summarize()}.
 *
 * <p>What is reproduced, step by step:
 * <ul>
 *   <li>Per image and category, detections sorted by score, descending and stable (input order breaks ties), the
 *       first 100 kept; ground truths sorted so that ignored ones (crowd, or {@code area} outside the range) come
 *       last. IoU as COCO's {@code bbIou}: intersection over union, or over the detection's area for crowd regions.
 *   <li>Greedy matching at IoU .50:.05:.95 in score order: the best still-free ground truth with IoU &gt;= the
 *       threshold (a later one wins ties), never leaving a regular match for an ignored ground truth; crowd regions
 *       can be matched repeatedly; a detection matched to an ignored ground truth is ignored, as is an unmatched
 *       detection whose box area is outside the range.
 *   <li>Area ranges all [0, 1e5<sup>2</sup>], small [0, 32<sup>2</sup>], medium [32<sup>2</sup>, 96<sup>2</sup>],
 *       large [96<sup>2</sup>, 1e5<sup>2</sup>] (bounds inclusive); maxDets 1, 10, 100 (the matching is done once
 *       with 100 and truncated, as COCOeval does).
 *   <li>Per category, area and maxDets: detections of all images (ascending image id) merged by score (stable),
 *       cumulative true/false positives, recall {@code tp / npig}, precision {@code tp / (tp + fp + eps)} made
 *       monotone from the right, sampled at the 101 recall thresholds with a left search (0 past the end); -1 when
 *       the category has no non-ignored ground truth.
 *   <li>Summary: mean over the entries that are not -1 (with numpy's pairwise summation).
 * </ul>
 * One quirk is kept for equality: COCOeval stores matches as annotation ids, so a match with a ground-truth
 * annotation whose id is 0 counts as no match.
 *
 * <p>Everything runs on primitive arrays, grouped per image and category; 5,000 images x 100 detections take well
 * under a second. Thread-safe (no shared state).
 */
public final class CocoEvaluator {
    /** IoU thresholds .50:.05:.95, computed as {@code np.linspace(.5, .95, 10)}. */
    static final double[] IOU_THRS = linspace(0.5, 0.95, 10);
    /** Recall thresholds 0:.01:1, computed as {@code np.linspace(0, 1, 101)}. */
    static final double[] REC_THRS = linspace(0.0, 1.0, 101);
    /** Area ranges all, small, medium, large. */
    static final double[][] AREA_RNG = {{0, 1e5 * 1e5}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}};
    /** Detections per image for the AR1, AR10, AR100 columns. */
    static final int[] MAX_DETS = {1, 10, 100};

    private static final int T = IOU_THRS.length;
    private static final int R = REC_THRS.length;
    private static final int A = AREA_RNG.length;
    private static final int M = MAX_DETS.length;
    private static final int MAX_DET = MAX_DETS[M - 1];
    private static final double EPS = Math.ulp(1.0); // np.spacing(1)
    private static final int FP_SHIFT = CocoMatcher.FP_SHIFT;

    private CocoEvaluator() {}

    private static double[] linspace(double start, double stop, int num) {
        double[] y = new double[num];
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[num - 1] = stop;
        return y;
    }

    // --------------------------------------------------------------------------------------------------- API

    /**
     * Evaluates detections on every image of the ground truth.
     *
     * @throws IllegalArgumentException a detection's image is not in the ground truth (pycocotools asserts)
     */
    public static CocoMetrics evaluate(CocoGroundTruth gt, List<CocoDetection> detections) {
        return evaluate(gt, detections, null);
    }

    /**
     * Evaluates detections on the given images only ({@code params.imgIds}); detections and annotations of other
     * images are left out. {@code imageIds == null} means every image of the ground truth.
     *
     * @throws IllegalArgumentException a detection's image, or one of {@code imageIds}, is not in the ground truth
     */
    public static CocoMetrics evaluate(CocoGroundTruth gt, List<CocoDetection> detections, Collection<Long> imageIds) {
        try {
            return run(gt, detections, imageIds, null);
        } catch (CocoFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Reads a COCO results file and evaluates it on every image of the ground truth.
     *
     * @throws CocoFormatException the file is malformed, or a detection is for an image not in the ground truth
     *     (the message names the file and the entry)
     */
    public static CocoMetrics evaluate(CocoGroundTruth gt, Path resultsJson) throws IOException {
        return evaluate(gt, resultsJson, null);
    }

    /**
     * Reads a COCO results file and evaluates it on the given images ({@code null}: all).
     *
     * @throws CocoFormatException the file is malformed, or a detection is for an image not in the ground truth
     * @throws IllegalArgumentException one of {@code imageIds} is not in the ground truth
     */
    public static CocoMetrics evaluate(CocoGroundTruth gt, Path resultsJson, Collection<Long> imageIds)
            throws IOException {
        List<CocoDetection> dts = CocoDetection.readResults(resultsJson);
        return run(gt, dts, imageIds, resultsJson.toString());
    }

    // ------------------------------------------------------------------------------------------ implementation

    private static CocoMetrics run(
            CocoGroundTruth gt, List<CocoDetection> dts, Collection<Long> imageIds, String source)
            throws CocoFormatException {
        Objects.requireNonNull(gt, "gt");
        Objects.requireNonNull(dts, "detections");
        final int nI = gt.imageIds.length;
        final int K = gt.categoryIds.length;

        boolean[] selected = new boolean[nI];
        if (imageIds == null) {
            Arrays.fill(selected, true);
        } else {
            for (Long id : imageIds) {
                int i = id == null ? -1 : gt.imageIndex.get(id);
                if (i < 0) throw new IllegalArgumentException("image id " + id + " is not in the ground truth");
                selected[i] = true;
            }
        }

        // ---- detections: map to (image, category) indices, drop the ones not evaluated, group by image (stable)
        final int n = dts.size();
        int[] dImg = new int[n];
        int[] dCat = new int[n];
        int[] perImage = new int[nI + 1];
        int idx = 0;
        for (CocoDetection d : dts) {
            int i = gt.imageIndex.get(d.imageId());
            if (i < 0) {
                String prefix = source == null ? "detections" : source;
                throw new CocoFormatException(prefix + ": $[" + idx + "].image_id: image " + d.imageId()
                        + " is not in the ground truth (pycocotools: 'Results do not correspond to current coco set')");
            }
            int k = gt.categoryIndex.get(d.categoryId());
            if (k < 0 || !selected[i]) {
                dImg[idx] = -1;
            } else {
                dImg[idx] = i;
                dCat[idx] = k;
                perImage[i + 1]++;
            }
            idx++;
        }
        for (int i = 0; i < nI; i++) perImage[i + 1] += perImage[i];
        final int nd = perImage[nI];
        final double[] px = new double[nd], py = new double[nd], pw = new double[nd], ph = new double[nd];
        final double[] ps = new double[nd];
        final int[] pc = new int[nd];
        {
            int[] fill = Arrays.copyOf(perImage, nI);
            idx = 0;
            for (CocoDetection d : dts) {
                int j = idx++;
                int i = dImg[j];
                if (i < 0) continue;
                int p = fill[i]++;
                px[p] = d.x();
                py[p] = d.y();
                pw[p] = d.width();
                ph[p] = d.height();
                ps[p] = d.score();
                pc[p] = dCat[j];
            }
        }
        dImg = null;
        dCat = null;
        // within an image: by category, then score descending; stable, so input order breaks ties (mergesort)
        final int[] order = new int[nd];
        for (int p = 0; p < nd; p++) order[p] = p;
        {
            int[] tmp = new int[nd];
            Sorting.IntComparator byCatScore = (a, b) -> {
                if (pc[a] != pc[b]) return pc[a] < pc[b] ? -1 : 1;
                return ps[a] > ps[b] ? -1 : (ps[a] < ps[b] ? 1 : 0);
            };
            for (int i = 0; i < nI; i++) {
                if (perImage[i + 1] - perImage[i] > 1)
                    Sorting.mergeSort(order, perImage[i], perImage[i + 1], tmp, byCatScore);
            }
        }

        // ---- evaluateImg for every (image, category) with ground truth or detections
        CocoMatcher.CategoryRows[] rows = new CocoMatcher.CategoryRows[K];
        int[] npig = new int[K * A];
        CocoMatcher matcher = new CocoMatcher(gt);
        for (int i = 0; i < nI; i++) {
            if (!selected[i]) continue;
            int ga = gt.imageStart[i], ge = gt.imageStart[i + 1];
            int da = perImage[i], de = perImage[i + 1];
            while (ga < ge || da < de) {
                int kg = ga < ge ? gt.annCategory[ga] : Integer.MAX_VALUE;
                int kd = da < de ? pc[order[da]] : Integer.MAX_VALUE;
                int k = Math.min(kg, kd);
                int gEnd = ga;
                while (gEnd < ge && gt.annCategory[gEnd] == k) gEnd++;
                int dEnd = da;
                while (dEnd < de && pc[order[dEnd]] == k) dEnd++;
                int D = Math.min(dEnd - da, MAX_DET);
                CocoMatcher.CategoryRows cr = null;
                if (D > 0) {
                    cr = rows[k];
                    if (cr == null) rows[k] = cr = new CocoMatcher.CategoryRows();
                    cr.ensure(D);
                }
                matcher.evaluate(ga, gEnd - ga, order, da, D, px, py, pw, ph, npig, k, cr);
                if (D > 0) {
                    for (int d = 0; d < D; d++) {
                        cr.score[cr.n + d] = ps[order[da + d]];
                        cr.rank[cr.n + d] = (byte) d;
                    }
                    cr.n += D;
                }
                ga = gEnd;
                da = dEnd;
            }
        }

        // ---- accumulate
        // precision at maxDets 100 per area, laid out [t][r][k] (numpy's C order of precision[:, :, :, a, -1])
        double[][] precision = new double[A][T * R * K];
        for (double[] p : precision) Arrays.fill(p, -1.0);
        double[] recall = new double[T * K * A * M]; // [t][k][a][m]
        Arrays.fill(recall, -1.0);
        accumulate(rows, npig, K, precision, recall);

        // ---- summarize
        int t50 = indexOf(IOU_THRS, 0.5), t75 = indexOf(IOU_THRS, 0.75);
        double[] stats = new double[12];
        double[] buf = new double[T * R * K];
        stats[0] = meanPrecision(precision[0], -1, K, buf);
        stats[1] = t50 < 0 ? -1 : meanPrecision(precision[0], t50, K, buf);
        stats[2] = t75 < 0 ? -1 : meanPrecision(precision[0], t75, K, buf);
        for (int a = 1; a < A; a++) stats[2 + a] = meanPrecision(precision[a], -1, K, buf);
        for (int m = 0; m < M; m++) stats[6 + m] = meanRecall(recall, 0, m, K, buf);
        for (int a = 1; a < A; a++) stats[8 + a] = meanRecall(recall, a, M - 1, K, buf);

        Map<Integer, CocoMetrics.CategoryAp> perCat = new LinkedHashMap<>();
        for (int k = 0; k < K; k++) {
            int c = 0, c50 = 0;
            double[] v50 = new double[R];
            for (int t = 0; t < T; t++) {
                for (int r = 0; r < R; r++) {
                    double v = precision[0][(t * R + r) * K + k];
                    if (v > -1) {
                        buf[c++] = v;
                        if (t == t50) v50[c50++] = v;
                    }
                }
            }
            double ap = c == 0 ? -1 : pairwiseSum(buf, 0, c) / c;
            double ap50 = c50 == 0 ? -1 : pairwiseSum(v50, 0, c50) / c50;
            perCat.put(gt.categoryIds[k], new CocoMetrics.CategoryAp(ap, ap50));
        }
        return CocoMetrics.of(stats, perCat);
    }

    private static int indexOf(double[] v, double x) {
        for (int i = 0; i < v.length; i++) if (v[i] == x) return i;
        return -1;
    }

    private static void accumulate(
            CocoMatcher.CategoryRows[] rows, int[] npig, int K, double[][] precision, double[] recall) {
        int maxN = 0;
        for (CocoMatcher.CategoryRows cr : rows) if (cr != null) maxN = Math.max(maxN, cr.n);
        int[] order = new int[maxN];
        int[] tmp = new int[maxN];
        int[] sel = new int[maxN];
        double[] rc = new double[maxN];
        double[] pr = new double[maxN];
        int[] tpFinal = new int[T];
        for (int k = 0; k < K; k++) {
            boolean any = false;
            for (int a = 0; a < A; a++) any |= npig[k * A + a] > 0;
            if (!any) continue; // COCOeval: npig == 0 -> left at -1
            CocoMatcher.CategoryRows cr = rows[k];
            int n = cr == null ? 0 : cr.n;
            for (int i = 0; i < n; i++) order[i] = i;
            if (n > 1) {
                final double[] s = cr.score;
                Sorting.mergeSort(order, 0, n, tmp, (p, q) -> s[p] > s[q] ? -1 : (s[p] < s[q] ? 1 : 0));
            }
            for (int m = 0; m < M; m++) {
                int maxDet = MAX_DETS[m];
                int nd = 0;
                for (int i = 0; i < n; i++) if (cr.rank[order[i]] < maxDet) sel[nd++] = order[i];
                for (int a = 0; a < A; a++) {
                    int np = npig[k * A + a];
                    if (np == 0) continue;
                    int[] flags = nd == 0 ? null : cr.flags;
                    if (m < M - 1) {
                        // only recall is reported for maxDets 1 and 10
                        Arrays.fill(tpFinal, 0);
                        for (int i = 0; i < nd; i++) {
                            int f = flags[sel[i] * A + a];
                            for (int t = 0; t < T; t++) tpFinal[t] += (f >>> t) & 1;
                        }
                        for (int t = 0; t < T; t++) {
                            recall[((t * K + k) * A + a) * M + m] = nd == 0 ? 0 : (double) tpFinal[t] / np;
                        }
                        continue;
                    }
                    double[] prec = precision[a];
                    for (int t = 0; t < T; t++) {
                        int tp = 0, fp = 0;
                        final int tpBit = 1 << t, fpBit = 1 << (FP_SHIFT + t);
                        for (int i = 0; i < nd; i++) {
                            int f = flags[sel[i] * A + a];
                            if ((f & tpBit) != 0) tp++;
                            if ((f & fpBit) != 0) fp++;
                            double tpd = tp, fpd = fp;
                            rc[i] = tpd / np;
                            pr[i] = tpd / (fpd + tpd + EPS);
                        }
                        recall[((t * K + k) * A + a) * M + m] = nd == 0 ? 0 : rc[nd - 1];
                        for (int i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
                        // np.searchsorted(rc, recThrs, side='left'); thresholds past the end stay 0
                        int pos = 0;
                        int r = 0;
                        for (; r < R; r++) {
                            double x = REC_THRS[r];
                            while (pos < nd && rc[pos] < x) pos++;
                            if (pos >= nd) break;
                            prec[(t * R + r) * K + k] = pr[pos];
                        }
                        for (; r < R; r++) prec[(t * R + r) * K + k] = 0;
                    }
                }
            }
        }
    }

    /** Mean of the entries &gt; -1 of precision[t or all][r][k] (one area, maxDets 100); -1 if none. */
    private static double meanPrecision(double[] prec, int tOnly, int K, double[] buf) {
        int c = 0;
        int from = tOnly < 0 ? 0 : tOnly * R * K;
        int to = tOnly < 0 ? T * R * K : (tOnly + 1) * R * K;
        for (int i = from; i < to; i++) if (prec[i] > -1) buf[c++] = prec[i];
        return c == 0 ? -1 : pairwiseSum(buf, 0, c) / c;
    }

    /** Mean of the entries &gt; -1 of recall[t][k] at one area and maxDets; -1 if none. */
    private static double meanRecall(double[] recall, int a, int m, int K, double[] buf) {
        int c = 0;
        for (int t = 0; t < T; t++) {
            for (int k = 0; k < K; k++) {
                double v = recall[((t * K + k) * A + a) * M + m];
                if (v > -1) buf[c++] = v;
            }
        }
        return c == 0 ? -1 : pairwiseSum(buf, 0, c) / c;
    }

    /** numpy's pairwise summation of a contiguous float64 array (as used by np.sum / np.mean). */
    static double pairwiseSum(double[] a, int from, int n) {
        if (n < 8) {
            double res = 0.;
            for (int i = 0; i < n; i++) res += a[from + i];
            return res;
        } else if (n <= 128) {
            double r0 = a[from], r1 = a[from + 1], r2 = a[from + 2], r3 = a[from + 3];
            double r4 = a[from + 4], r5 = a[from + 5], r6 = a[from + 6], r7 = a[from + 7];
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                r0 += a[from + i];
                r1 += a[from + i + 1];
                r2 += a[from + i + 2];
                r3 += a[from + i + 3];
                r4 += a[from + i + 4];
                r5 += a[from + i + 5];
                r6 += a[from + i + 6];
                r7 += a[from + i + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[from + i];
            return res;
        } else {
            int n2 = n / 2;
            n2 -= n2 % 8;
            return pairwiseSum(a, from, n2) + pairwiseSum(a, from + n2, n - n2);
        }
    }
}
