package io.dydet.train;

import java.util.Arrays;
import java.util.Comparator;

/** Spearman's rank correlation (Pearson correlation of the ranks, ties given their mean rank). */
public final class Spearman {
    private Spearman() {}

    /** NaN when fewer than two pairs or a constant series. */
    public static double rho(double[] a, double[] b) {
        if (a.length != b.length)
            throw new IllegalArgumentException("series lengths differ: " + a.length + " vs " + b.length);
        if (a.length < 2) return Double.NaN;
        double[] ra = ranks(a), rb = ranks(b);
        double ma = Arrays.stream(ra).average().orElse(0),
                mb = Arrays.stream(rb).average().orElse(0);
        double cov = 0, va = 0, vb = 0;
        for (int i = 0; i < ra.length; i++) {
            cov += (ra[i] - ma) * (rb[i] - mb);
            va += (ra[i] - ma) * (ra[i] - ma);
            vb += (rb[i] - mb) * (rb[i] - mb);
        }
        return va == 0 || vb == 0 ? Double.NaN : cov / Math.sqrt(va * vb);
    }

    static double[] ranks(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> v[i]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) j++;
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) r[order[k]] = mean;
            i = j + 1;
        }
        return r;
    }
}
