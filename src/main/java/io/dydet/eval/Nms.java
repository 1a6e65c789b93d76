package io.dydet.eval;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/**
 * The original's non_max_suppression for one image: objectness filter, confidence = objectness x class
 * probability, best class or every class above the threshold, optional class filter, the most confident
 * {@code maxCandidates}, class-offset greedy NMS (torchvision's rule: suppress IoU > threshold), at most
 * {@code maxDetections} rows. Arithmetic is float32 in the reference's order, so rows and values match it.
 */
public final class Nms {
    /** Class offset that separates classes in one greedy pass (the reference's max_wh). */
    static final float MAX_WH = 4096f;

    private Nms() {}

    /** (row, class, confidence) triples in insertion order, growing as needed. */
    private static final class Candidates {
        int size;
        int[] row = new int[1024];
        int[] cls = new int[1024];
        float[] conf = new float[1024];

        void add(int r, int c, float f) {
            if (size == row.length) {
                row = Arrays.copyOf(row, size * 2);
                cls = Arrays.copyOf(cls, size * 2);
                conf = Arrays.copyOf(conf, size * 2);
            }
            row[size] = r;
            cls[size] = c;
            conf[size++] = f;
        }
    }

    /**
     * @param decoded one image's predictions (N, nc + 5): cx, cy, w, h (pixels), objectness, class probabilities
     * @return rows (x1, y1, x2, y2, confidence, class) in descending confidence
     */
    public static float[][] apply(NDArray decoded, NmsOptions o) {
        long no = decoded.getShape().get(decoded.getShape().dimension() - 1);
        NDArray rows = decoded.reshape(-1, no);
        // the objectness filter runs on the engine, so only candidates are copied out
        NDArray keep = rows.get(":, 4").gt(o.confidence());
        NDArray cand = rows.get(keep);
        float[] v = cand.toFloatArray();
        keep.close();
        cand.close();
        return apply(v, (int) (v.length / no), (int) no, o);
    }

    /** The same on plain rows already filtered or not: {@code n} rows of {@code no} floats from {@code v}. */
    public static float[][] apply(float[] v, int n, int no, NmsOptions o) {
        int nc = no - 5;
        boolean multi = o.multiLabel() && nc > 1;
        // candidates: (box row, class, confidence), in the reference's order (row-major over (row, class))
        Candidates cand = new Candidates();
        for (int r = 0; r < n; r++) {
            int base = r * no;
            float obj = v[base + 4];
            if (!(obj > o.confidence())) continue;
            if (multi) {
                for (int c = 0; c < nc; c++) {
                    float conf = v[base + 5 + c] * obj;
                    if (conf > o.confidence()
                            && (o.classes() == null || o.classes().contains(c))) cand.add(r, c, conf);
                }
            } else {
                int best = 0;
                float bestConf = v[base + 5] * obj;
                for (int c = 1; c < nc; c++) {
                    float conf = v[base + 5 + c] * obj;
                    if (conf > bestConf) {
                        bestConf = conf;
                        best = c;
                    }
                }
                if (bestConf > o.confidence()
                        && (o.classes() == null || o.classes().contains(best))) cand.add(r, best, bestConf);
            }
        }
        int m = cand.size;
        int[] candRow = cand.row, candCls = cand.cls;
        float[] candConf = cand.conf;
        if (m == 0) return new float[0][];
        // order by confidence, descending, stable (ties keep candidate order)
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        final float[] conf = candConf;
        Arrays.sort(order, (a, b) -> Float.compare(conf[b], conf[a]));
        int count = Math.min(m, o.maxCandidates());
        float[] x1 = new float[count],
                y1 = new float[count],
                x2 = new float[count],
                y2 = new float[count],
                area = new float[count];
        for (int k = 0; k < count; k++) {
            int i = order[k];
            int base = candRow[i] * no;
            float cx = v[base], cy = v[base + 1], w = v[base + 2], h = v[base + 3];
            float off = o.agnostic() ? 0f : candCls[i] * MAX_WH;
            x1[k] = (cx - w / 2) + off;
            y1[k] = (cy - h / 2) + off;
            x2[k] = (cx + w / 2) + off;
            y2[k] = (cy + h / 2) + off;
            area[k] = (x2[k] - x1[k]) * (y2[k] - y1[k]);
        }
        boolean[] suppressed = new boolean[count];
        int[] kept = new int[Math.min(count, o.maxDetections())];
        int nk = 0;
        for (int k = 0; k < count && nk < kept.length; k++) {
            if (suppressed[k]) continue;
            kept[nk++] = k;
            for (int j = k + 1; j < count; j++) {
                if (suppressed[j]) continue;
                float w = Math.max(0f, Math.min(x2[k], x2[j]) - Math.max(x1[k], x1[j]));
                float h = Math.max(0f, Math.min(y2[k], y2[j]) - Math.max(y1[k], y1[j]));
                float inter = w * h;
                float ovr = inter / (area[k] + area[j] - inter);
                if (ovr > o.iou()) suppressed[j] = true;
            }
        }
        float[][] out = new float[nk][];
        for (int q = 0; q < nk; q++) {
            int i = order[kept[q]];
            int base = candRow[i] * no;
            float cx = v[base], cy = v[base + 1], w = v[base + 2], h = v[base + 3];
            out[q] = new float[] {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, candConf[i], candCls[i]};
        }
        return out;
    }
}
