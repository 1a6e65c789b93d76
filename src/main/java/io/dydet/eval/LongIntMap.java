package io.dydet.eval;

/** Open-addressing long -> int map (non-negative values; -1 means absent), no boxing. */
final class LongIntMap {
    private long[] keys;
    private int[] vals;
    private boolean[] used;
    private int size;
    private int mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[cap];
        vals = new int[cap];
        used = new boolean[cap];
        mask = cap - 1;
    }

    private static int hash(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    int get(long k) {
        int i = hash(k) & mask;
        while (used[i]) {
            if (keys[i] == k) return vals[i];
            i = (i + 1) & mask;
        }
        return -1;
    }

    void put(long k, int v) {
        int prev = putIfAbsent(k, v);
        if (prev >= 0) {
            int i = hash(k) & mask;
            while (keys[i] != k) i = (i + 1) & mask;
            vals[i] = v;
        }
    }

    /** @return the existing value, or -1 after inserting {@code v} */
    int putIfAbsent(long k, int v) {
        int i = hash(k) & mask;
        while (used[i]) {
            if (keys[i] == k) return vals[i];
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[i] = k;
        vals[i] = v;
        if (++size * 2 > keys.length) grow();
        return -1;
    }

    private void grow() {
        long[] ok = keys;
        int[] ov = vals;
        boolean[] ou = used;
        keys = new long[ok.length * 2];
        vals = new int[ok.length * 2];
        used = new boolean[ok.length * 2];
        mask = keys.length - 1;
        for (int i = 0; i < ok.length; i++) {
            if (!ou[i]) continue;
            int j = hash(ok[i]) & mask;
            while (used[j]) j = (j + 1) & mask;
            used[j] = true;
            keys[j] = ok[i];
            vals[j] = ov[i];
        }
    }
}
