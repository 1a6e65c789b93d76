package io.dydet.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.box.Box;
import io.dydet.box.Letterbox;
import io.dydet.engine.Engines;
import io.dydet.testing.Golden;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** NMS on the golden decoded outputs reproduces the original's rows; boxes map back to the original images. */
class NmsTest {
    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    static void assertRows(String what, float[] want, int n, float[][] got, double tol) {
        assertEquals(n, got.length, what + ": number of rows");
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 6; k++) {
                float w = want[i * 6 + k];
                assertTrue(
                        Math.abs(w - got[i][k]) <= tol,
                        what + " row " + i + " field " + k + ": expected " + w + ", got " + got[i][k]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dy-yolov7-w025", "dy-yolov7x-w025", "dy-yolov7-w6-w025"})
    void goldenRowsForBothSettingsBothRoutesAllImages(String model) {
        try (Golden g = Golden.open(model);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            int checked = 0;
            for (String img : List.of("demo", "grace_hopper", "random")) {
                for (String route : List.of("easy", "hard")) {
                    NDArray decoded =
                            g.tensor(m, img + "." + route + ".decoded").get(0);
                    for (String setting : List.of("nms_test", "nms_detect")) {
                        NmsOptions o = setting.equals("nms_test") ? NmsOptions.forEval() : NmsOptions.forDetect();
                        NDArray want = g.tensor(m, img + "." + route + "." + setting + ".letterbox");
                        float[][] got = Nms.apply(decoded, o);
                        assertRows(
                                model + " " + img + "." + route + "." + setting,
                                want.toFloatArray(),
                                (int) want.getShape().get(0),
                                got,
                                1e-5);
                        if (!img.equals("random")) {
                            // back to the original image, as detect.py's scale_coords does
                            NDArray orig = g.tensor(m, img + "." + route + "." + setting + ".original");
                            var meta = g.meta().at("/inputs/" + img);
                            Letterbox lb = Letterbox.forDetect(
                                    meta.at("/original_hw/0").asInt(),
                                    meta.at("/original_hw/1").asInt(),
                                    Math.max(
                                            meta.at("/letterboxed_hw/0").asInt(),
                                            meta.at("/letterboxed_hw/1").asInt()),
                                    model.contains("w6") ? 64 : 32);
                            float[][] mapped = new float[got.length][];
                            for (int i = 0; i < got.length; i++) {
                                Box b = lb.toOriginal(new Box(got[i][0], got[i][1], got[i][2], got[i][3]));
                                mapped[i] = new float[] {b.x1(), b.y1(), b.x2(), b.y2(), got[i][4], got[i][5]};
                            }
                            assertRows(
                                    model + " " + img + "." + route + "." + setting + ".original",
                                    orig.toFloatArray(),
                                    (int) orig.getShape().get(0),
                                    mapped,
                                    1e-3);
                        }
                        checked++;
                    }
                }
            }
            assertEquals(12, checked);
        }
    }

    /** Kept boxes of one class never overlap above the threshold; every dropped candidate overlaps a kept one of its class. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 1337})
    void greedyInvariantsOnRandomClusters(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int n = 400, nc = 3, no = nc + 5;
        float[] v = new float[n * no];
        for (int i = 0; i < n; i++) {
            int cluster = rng.nextInt(12);
            v[i * no] = 50 + 40 * (cluster % 4) + (float) rng.nextGaussian() * 6;
            v[i * no + 1] = 50 + 40 * (cluster / 4) + (float) rng.nextGaussian() * 6;
            v[i * no + 2] = 20 + rng.nextInt(20);
            v[i * no + 3] = 20 + rng.nextInt(20);
            v[i * no + 4] = (float) rng.nextDouble();
            for (int c = 0; c < nc; c++) v[i * no + 5 + c] = (float) rng.nextDouble();
        }
        NmsOptions o = new NmsOptions(0.2f, 0.45f, false, false, null, 1000, 30000);
        float[][] kept = Nms.apply(v, n, no, o);
        assertTrue(kept.length > 5);
        for (int i = 0; i < kept.length; i++) {
            if (i > 0) assertTrue(kept[i - 1][4] >= kept[i][4], "not sorted at " + i);
            for (int j = i + 1; j < kept.length; j++) {
                if (kept[i][5] != kept[j][5]) continue;
                Box a = new Box(kept[i][0], kept[i][1], kept[i][2], kept[i][3]),
                        b = new Box(kept[j][0], kept[j][1], kept[j][2], kept[j][3]);
                assertTrue(a.iou(b) <= 0.45f + 1e-4f, "kept " + i + " and " + j + " overlap " + a.iou(b));
            }
        }
        // converse: every candidate not kept overlaps a kept box of its class with at least its confidence
        for (int r = 0; r < n; r++) {
            int best = 0;
            float bc = v[r * no + 5] * v[r * no + 4];
            for (int c = 1; c < nc; c++)
                if (v[r * no + 5 + c] * v[r * no + 4] > bc) {
                    bc = v[r * no + 5 + c] * v[r * no + 4];
                    best = c;
                }
            if (!(v[r * no + 4] > 0.2f) || !(bc > 0.2f)) continue;
            Box me = Box.fromCenter(v[r * no], v[r * no + 1], v[r * no + 2], v[r * no + 3]);
            boolean explained = false;
            for (float[] k : kept) {
                Box kb = new Box(k[0], k[1], k[2], k[3]);
                if ((int) k[5] == best && k[4] >= bc && (kb.iou(me) > 0.45f - 1e-4f || (kb.equals(me))))
                    explained = true;
            }
            assertTrue(explained, "candidate " + r + " neither kept nor suppressed by a kept box");
        }
    }

    @Test
    void classFilterAndAgnosticOption() {
        float[] v = {
            10, 10, 10, 10, 0.9f, 0.9f, 0.1f, // class 0
            10, 10, 10, 10, 0.9f, 0.1f, 0.8f, // same box, class 1
        };
        assertEquals(2, Nms.apply(v, 2, 7, NmsOptions.forDetect()).length);
        assertEquals(1, Nms.apply(v, 2, 7, new NmsOptions(0.25f, 0.45f, false, true, null, 300, 30000)).length);
        float[][] only1 =
                Nms.apply(v, 2, 7, new NmsOptions(0.25f, 0.45f, false, false, java.util.Set.of(1), 300, 30000));
        assertEquals(1, only1.length);
        assertEquals(1f, only1[0][5]);
    }
}
