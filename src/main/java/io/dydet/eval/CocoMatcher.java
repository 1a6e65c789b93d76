package io.dydet.eval;

import java.util.Arrays;

/**
 * COCOeval's evaluateImg for {@link CocoEvaluator}, one (image, category) at a time: IoUs once, then matching per
 * area range and IoU threshold.
 */
final class CocoMatcher {
    private static final double[] IOU_THRS = CocoEvaluator.IOU_THRS;
    private static final double[][] AREA_RNG = CocoEvaluator.AREA_RNG;
    private static final int T = IOU_THRS.length;
    private static final int A = AREA_RNG.length;
    private static final int MAX_DET = CocoEvaluator.MAX_DETS[CocoEvaluator.MAX_DETS.length - 1];
    /** In {@link CategoryRows#flags}: tp bits 0..T-1, fp bits FP_SHIFT..FP_SHIFT+T-1. */
    static final int FP_SHIFT = 16;

    /** Per category: detections of all images in image order, then score order within an image. */
    static final class CategoryRows {
        double[] score = new double[64];
        byte[] rank = new byte[64]; // position within its (image, category) group, 0..99
        int[] flags = new int[64 * A]; // per area: tp bits 0..T-1, fp bits FP_SHIFT..FP_SHIFT+T-1
        int n;

        void ensure(int extra) {
            if (n + extra <= score.length) return;
            int cap = Math.max(score.length * 2, n + extra);
            score = Arrays.copyOf(score, cap);
            rank = Arrays.copyOf(rank, cap);
            flags = Arrays.copyOf(flags, cap * A);
        }
    }

    private final CocoGroundTruth gt;
    private double[] iou = new double[MAX_DET * 16];
    private boolean[] gtIgnore = new boolean[16];
    private boolean[] gtMatched = new boolean[16];
    private int[] perm = new int[16];
    private final double[] detArea = new double[MAX_DET];
    private final double[] thr = new double[T];

    CocoMatcher(CocoGroundTruth gt) {
        this.gt = gt;
        for (int t = 0; t < T; t++) thr[t] = Math.min(IOU_THRS[t], 1 - 1e-10);
    }

    /**
     * Ground truths {@code [g0, g0 + G)} of the annotation arrays; detections {@code order[d0 .. d0 + D)}
     * (already sorted by score and truncated). Adds the non-ignored ground-truth counts to {@code npig} and
     * writes the detections' flags at {@code rows.n ..}.
     */
    void evaluate(
            int g0,
            int G,
            int[] order,
            int d0,
            int D,
            double[] px,
            double[] py,
            double[] pw,
            double[] ph,
            int[] npig,
            int k,
            CategoryRows rows) {
        if (G > gtIgnore.length) {
            int cap = Math.max(G, gtIgnore.length * 2);
            gtIgnore = new boolean[cap];
            gtMatched = new boolean[cap];
            perm = new int[cap];
        }
        if ((long) G * D > iou.length) iou = new double[Math.max(G * D, iou.length * 2)];
        final double[] ax = gt.annX, ay = gt.annY, aw = gt.annW, ah = gt.annH;
        final boolean[] crowd = gt.annCrowd;
        // IoU as maskApi.c bbIou: o[d][g]
        for (int d = 0; d < D; d++) {
            int p = order[d0 + d];
            double dx = px[p], dy = py[p], dw = pw[p], dh = ph[p];
            double da = dw * dh;
            detArea[d] = da;
            int row = d * G;
            for (int g = 0; g < G; g++) {
                int a = g0 + g;
                double gx = ax[a], gy = ay[a], gw = aw[a], gh = ah[a];
                double o = 0;
                double w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
                if (w > 0) {
                    double h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
                    if (h > 0) {
                        double inter = w * h;
                        double u = crowd[a] ? da : da + gw * gh - inter;
                        o = inter / u;
                    }
                }
                iou[row + g] = o;
            }
        }
        final long[] ids = gt.annId;
        for (int ar = 0; ar < A; ar++) {
            final double lo = AREA_RNG[ar][0], hi = AREA_RNG[ar][1];
            // ground truths: ignore flags, order with ignored last (stable)
            int nRegular = 0;
            for (int g = 0; g < G; g++) {
                int a = g0 + g;
                double area = gt.annArea[a];
                boolean ig = crowd[a] || area < lo || area > hi;
                gtIgnore[g] = ig;
                if (!ig) perm[nRegular++] = g;
            }
            int j = nRegular;
            for (int g = 0; g < G; g++) if (gtIgnore[g]) perm[j++] = g;
            npig[k * A + ar] += nRegular;
            if (D == 0) continue;
            int base = rows.n * A + ar;
            for (int d = 0; d < D; d++) rows.flags[base + d * A] = 0;
            for (int t = 0; t < T; t++) {
                Arrays.fill(gtMatched, 0, G, false);
                final double th = thr[t];
                final int tpBit = 1 << t, fpBit = 1 << (FP_SHIFT + t);
                for (int d = 0; d < D; d++) {
                    double best = th;
                    int m = -1;
                    int row = d * G;
                    for (int q = 0; q < G; q++) {
                        int g = perm[q];
                        if (gtMatched[g] && !crowd[g0 + g]) continue;
                        if (m > -1 && !gtIgnore[m] && gtIgnore[g]) break;
                        double v = iou[row + g];
                        if (v < best) continue;
                        best = v;
                        m = g;
                    }
                    boolean outside = detArea[d] < lo || detArea[d] > hi;
                    boolean matched, ignored;
                    if (m == -1) {
                        matched = false;
                        ignored = outside;
                    } else {
                        gtMatched[m] = true;
                        matched = ids[g0 + m] != 0; // COCOeval's dtMatches holds the gt id, 0 = none
                        ignored = gtIgnore[m] || (!matched && outside);
                    }
                    if (!ignored) rows.flags[base + d * A] |= matched ? tpBit : fpBit;
                }
            }
        }
    }
}
