package io.dydet.engine.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The reference catches wrong results and passes right ones: checked against a plain full convolution. */
class ConvReferenceTest {
    /** Output (oc, oh, ow) of the full convolution in float64, rounded to float. */
    static float[] fullForward(ConvReference r) {
        ConvShape s = r.shape();
        int oh = (int) s.outHeight(),
                ow = (int) s.outWidth(),
                h = (int) s.height(),
                w = (int) s.width(),
                k = s.kernel();
        float[] y = new float[s.out() * oh * ow];
        for (int o = 0; o < s.out(); o++) {
            for (int y0 = 0; y0 < oh; y0++) {
                for (int x0 = 0; x0 < ow; x0++) {
                    double acc = r.bias()[o];
                    for (int c = 0; c < s.in(); c++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int iy = y0 * s.stride() + ky - s.padding(), ix = x0 * s.stride() + kx - s.padding();
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                acc += (double) r.weight()[((o * s.in() + c) * k + ky) * k + kx]
                                        * r.input()[(c * h + iy) * w + ix];
                            }
                        }
                    }
                    y[(o * oh + y0) * ow + x0] = (float) acc;
                }
            }
        }
        return y;
    }

    /** The gradients of sum(y * upstream): dx, dw, db. */
    static float[][] fullBackward(ConvReference r) {
        ConvShape s = r.shape();
        int oh = (int) s.outHeight(),
                ow = (int) s.outWidth(),
                h = (int) s.height(),
                w = (int) s.width(),
                k = s.kernel();
        double[] dx = new double[s.in() * h * w], dw = new double[s.out() * s.in() * k * k], db = new double[s.out()];
        for (int o = 0; o < s.out(); o++) {
            for (int y0 = 0; y0 < oh; y0++) {
                for (int x0 = 0; x0 < ow; x0++) {
                    double g = r.upstream()[(o * oh + y0) * ow + x0];
                    db[o] += g;
                    for (int c = 0; c < s.in(); c++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int iy = y0 * s.stride() + ky - s.padding(), ix = x0 * s.stride() + kx - s.padding();
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                int wi = ((o * s.in() + c) * k + ky) * k + kx, xi = (c * h + iy) * w + ix;
                                dw[wi] += g * r.input()[xi];
                                dx[xi] += g * r.weight()[wi];
                            }
                        }
                    }
                }
            }
        }
        return new float[][] {toFloat(dx), toFloat(dw), toFloat(db)};
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    static final List<ConvShape> SHAPES = List.of(
            new ConvShape(5, 7, 3, 2, 1, 9, 11),
            new ConvShape(16, 24, 1, 1, 0, 6, 5),
            new ConvShape(3, 8, 3, 1, 1, 13, 7),
            new ConvShape(40, 1, 1, 1, 0, 1, 1));

    static boolean passes(List<ConvReference.Deviation> d) {
        return d.stream().allMatch(ConvReference.Deviation::passes);
    }

    @Test
    void theExactResultPassesWithMargin() {
        for (ConvShape s : SHAPES) {
            ConvReference r = new ConvReference(s, 7);
            List<ConvReference.Deviation> d = r.checkForward(fullForward(r), 2e-5);
            assertTrue(passes(d), s + ": " + d);
            assertTrue(d.stream().allMatch(x -> x.worst() < 0.1), s + ": " + d);
            float[][] g = fullBackward(r);
            List<ConvReference.Deviation> b = r.checkBackward(g[0], g[1], g[2], 2e-5);
            assertTrue(passes(b), s + ": " + b);
        }
    }

    @Test
    void bfloat16OutputsPassAtTheBfloat16Tolerance() {
        for (ConvShape s : SHAPES) {
            ConvReference r = new ConvReference(s, 7);
            float[] y = fullForward(r);
            for (int i = 0; i < y.length; i++) y[i] = ConvReference.roundToBf16(y[i]);
            assertTrue(passes(r.checkForward(y, 1.0 / 128)), s.toString());
        }
    }

    @Test
    void oneWrongOutputBlockOrElementIsCaught() {
        ConvShape s = new ConvShape(16, 24, 3, 1, 1, 12, 10);
        ConvReference r = new ConvReference(s, 3);
        float[] exact = fullForward(r);
        // one element off by half its size, anywhere: the last channel's bottom-right corner
        float[] y = exact.clone();
        y[y.length - 1] += 0.5f * Math.max(0.25f, Math.abs(y[y.length - 1]));
        assertFalse(passes(r.checkForward(y, 2e-5)));
        // a swapped pair of channels (a wrong blocking's typical symptom) keeps every per-position sum of magnitudes
        float[] swapped = exact.clone();
        int plane = (int) (s.outHeight() * s.outWidth());
        System.arraycopy(exact, 0, swapped, plane, plane);
        System.arraycopy(exact, plane, swapped, 0, plane);
        assertFalse(passes(r.checkForward(swapped, 2e-5)));
        float[] nan = exact.clone();
        nan[5] = Float.NaN;
        List<ConvReference.Deviation> d = r.checkForward(nan, 2e-5);
        assertFalse(passes(d));
        assertEquals(
                Double.POSITIVE_INFINITY,
                d.stream().mapToDouble(ConvReference.Deviation::worst).max().orElse(0));
    }

    @Test
    void wrongGradientsAreCaught() {
        ConvShape s = new ConvShape(6, 10, 3, 2, 1, 9, 9);
        ConvReference r = new ConvReference(s, 5);
        float[][] g = fullBackward(r);
        float[] dw = g[1].clone();
        dw[dw.length / 2] += 0.5f * Math.max(0.25f, Math.abs(dw[dw.length / 2]));
        assertFalse(passes(r.checkBackward(g[0], dw, g[2], 2e-5)));
        float[] dx = g[0].clone();
        dx[3] += 0.5f * Math.max(0.25f, Math.abs(dx[3]));
        assertFalse(passes(r.checkBackward(dx, g[1], g[2], 2e-5)));
        float[] db = g[2].clone();
        db[0] += 1;
        assertFalse(passes(r.checkBackward(g[0], g[1], db, 2e-5)));
    }

    @Test
    void inputsAreExactInBfloat16() {
        ConvReference r = new ConvReference(new ConvShape(4, 4, 3, 1, 1, 5, 5), 1);
        for (float v : r.input()) assertEquals(v, ConvReference.roundToBf16(v));
        for (float v : r.weight()) assertEquals(v, ConvReference.roundToBf16(v));
    }
}
