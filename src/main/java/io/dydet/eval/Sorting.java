package io.dydet.eval;

/** Stable merge sort of int indices under a primitive comparator (no boxing). */
final class Sorting {
    interface IntComparator {
        int compare(int a, int b);
    }

    private Sorting() {}

    /** Sorts {@code a[from, to)} stably; {@code tmp} must be at least as long as {@code a}. */
    static void mergeSort(int[] a, int from, int to, int[] tmp, IntComparator c) {
        if (to - from <= 24) {
            for (int i = from + 1; i < to; i++) {
                int v = a[i];
                int j = i - 1;
                while (j >= from && c.compare(a[j], v) > 0) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = v;
            }
            return;
        }
        int mid = (from + to) >>> 1;
        mergeSort(a, from, mid, tmp, c);
        mergeSort(a, mid, to, tmp, c);
        if (c.compare(a[mid - 1], a[mid]) <= 0) return;
        System.arraycopy(a, from, tmp, from, to - from);
        int i = from, j = mid, k = from;
        while (i < mid && j < to) a[k++] = c.compare(tmp[j], tmp[i]) < 0 ? tmp[j++] : tmp[i++];
        while (i < mid) a[k++] = tmp[i++];
        while (j < to) a[k++] = tmp[j++];
    }
}
