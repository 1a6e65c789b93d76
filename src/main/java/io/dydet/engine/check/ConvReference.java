package io.dydet.engine.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * A trusted reference for one convolution, in float64 plain Java, that checks an engine's full-size result without
 * computing it whole. A convolution is linear, so sums and projections of its output have cheap exact forms: the
 * output projected over channels with random signs (one value per output position), summed along each row, and
 * summed along each column (one value per channel and row or column). A kernel that gets any block of outputs wrong
 * moves some of these values far beyond rounding; the cost is a few output channels' worth of work instead of all.
 * The backward pass is checked the same way: the input gradient projected over input channels (every input
 * position) and summed per channel, the weight gradient projected over output channels and over input channels, and
 * the bias gradient whole.
 *
 * <p>Inputs, weights and upstream gradients are drawn so that they are exact in bfloat16: the same reference then
 * serves float32 and bfloat16 runs, which differ only in the tolerance.
 */
public final class ConvReference {
    private final ConvShape shape;
    private final int ic, oc, k, s, p;
    private final int h, w, oh, ow;
    /** (ic, h, w), (oc, ic, k, k), (oc), (oc, oh, ow), each exact in bfloat16. */
    final float[] x, weight, bias, upstream;

    private final double[] outSigns, inSigns;

    public ConvReference(ConvShape shape, long seed) {
        this.shape = shape;
        ic = shape.in();
        oc = shape.out();
        k = shape.kernel();
        s = shape.stride();
        p = shape.padding();
        h = (int) shape.height();
        w = (int) shape.width();
        oh = (int) shape.outHeight();
        ow = (int) shape.outWidth();
        SplittableRandom r = new SplittableRandom(seed ^ shape.hashCode());
        x = bf16Uniform(r, ic * h * w, 1.0);
        // weights scaled like a trained layer's so outputs stay of order one at any fan-in
        weight = bf16Uniform(r, oc * ic * k * k, 1.0 / Math.sqrt((double) ic * k * k));
        bias = bf16Uniform(r, oc, 0.5);
        upstream = bf16Uniform(r, oc * oh * ow, 1.0);
        outSigns = signs(r, oc);
        inSigns = signs(r, ic);
    }

    public ConvShape shape() {
        return shape;
    }

    public float[] input() {
        return x;
    }

    public float[] weight() {
        return weight;
    }

    public float[] bias() {
        return bias;
    }

    /** The gradient of the loss with respect to the output: the backward pass computes d(sum(y * upstream)). */
    public float[] upstream() {
        return upstream;
    }

    private static float[] bf16Uniform(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = roundToBf16((float) ((r.nextDouble() * 2 - 1) * scale));
        return a;
    }

    private static double[] signs(SplittableRandom r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.nextBoolean() ? 1 : -1;
        return a;
    }

    /** The nearest bfloat16 value (round to nearest even), as a float. */
    static float roundToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }

    /** The largest error of one family of checked values, relative to its tolerance (pass when at most 1). */
    public record Deviation(String what, double worst, int index, double expected, double actual) {
        public boolean passes() {
            return worst <= 1.0;
        }

        @Override
        public String toString() {
            return what + ": " + String.format(Locale.ROOT, "%.3g", worst) + " x tolerance at " + index + " (expected "
                    + expected + ", got " + actual + ")";
        }
    }

    /**
     * Checks an output (oc, oh, ow) in NCHW order against the reference.
     *
     * @param relTolerance allowed error relative to the sum of absolute terms of each checked value (float32 about
     *     1e-5, bfloat16 output rounding about 1e-2)
     */
    public List<Deviation> checkForward(float[] y, double relTolerance) {
        if (y.length != oc * oh * ow)
            throw new IllegalArgumentException(
                    shape + ": output has " + y.length + " values, expected " + oc * oh * ow);
        if (expectedPositions == null) expectForward();
        List<Deviation> out = new ArrayList<>();
        // 1. every output position: y projected over output channels
        Worst pos = new Worst("output projected over channels");
        double[][] projected = projectChannels(y, outSigns, oh * ow);
        double[] meas = projected[0], measAbs = projected[1];
        for (int i = 0; i < oh * ow; i++) {
            pos.offer(
                    i, expectedPositions[0][i], meas[i], relTolerance * (expectedPositions[1][i] + measAbs[i]) + 1e-30);
        }
        out.add(pos.result());
        // 2. and 3. every channel's row sums and column sums
        Worst rows = new Worst("output row sums"), cols = new Worst("output column sums");
        for (int o = 0; o < oc; o++) {
            double[] colSum = new double[ow], colAbs = new double[ow];
            for (int y0 = 0; y0 < oh; y0++) {
                double rowSum = 0, rowAbs = 0;
                int base = (o * oh + y0) * ow;
                for (int x0 = 0; x0 < ow; x0++) {
                    double v = y[base + x0];
                    rowSum += v;
                    rowAbs += Math.abs(v);
                    colSum[x0] += v;
                    colAbs[x0] += Math.abs(v);
                }
                int j = o * oh + y0;
                rows.offer(j, expectedRows[0][j], rowSum, relTolerance * (expectedRows[1][j] + rowAbs) + 1e-30);
            }
            for (int x0 = 0; x0 < ow; x0++) {
                int j = o * ow + x0;
                cols.offer(
                        j,
                        expectedColumns[0][j],
                        colSum[x0],
                        relTolerance * (expectedColumns[1][j] + colAbs[x0]) + 1e-30);
            }
        }
        out.add(rows.result());
        out.add(cols.result());
        return out;
    }

    /** Expected values and sums of absolute terms: [0] values, [1] bounds. Computed once, shared by every mode. */
    private double[][] expectedPositions, expectedRows, expectedColumns;

    private void expectForward() {
        // the three families are independent: rows and columns on the common pool, positions here
        ForkJoinTask<double[][]> rowsTask = ForkJoinPool.commonPool().submit(() -> expectLines(true));
        ForkJoinTask<double[][]> columnsTask = ForkJoinPool.commonPool().submit(() -> expectLines(false));
        double[] wr = new double[ic * k * k], wrAbs = new double[ic * k * k];
        double br = 0, brAbs = 0;
        for (int o = 0; o < oc; o++) {
            br += outSigns[o] * bias[o];
            brAbs += Math.abs(bias[o]);
            for (int j = 0; j < ic * k * k; j++) {
                float v = weight[o * ic * k * k + j];
                wr[j] += outSigns[o] * v;
                wrAbs[j] += Math.abs(v);
            }
        }
        double[] ref = new double[oh * ow], abs = new double[oh * ow];
        Arrays.fill(ref, br);
        Arrays.fill(abs, brAbs);
        // accumulate tap by tap over whole rows, over the columns whose input is inside (no branch in the inner loop)
        for (int c = 0; c < ic; c++) {
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    int j = (c * k + ky) * k + kx;
                    double wv = wr[j], wa = wrAbs[j];
                    int x0Min = firstInside(kx, w, ow), x0End = endInside(kx, w, ow);
                    for (int y0 = 0; y0 < oh; y0++) {
                        int iy = y0 * s + ky - p;
                        if (iy < 0 || iy >= h) continue;
                        int in = (c * h + iy) * w + kx - p, out = y0 * ow;
                        for (int x0 = x0Min; x0 < x0End; x0++) {
                            double xv = x[in + x0 * s];
                            ref[out + x0] += wv * xv;
                            abs[out + x0] += wa * Math.abs(xv);
                        }
                    }
                }
            }
        }
        expectedPositions = new double[][] {ref, abs};
        expectedRows = rowsTask.join();
        expectedColumns = columnsTask.join();
    }

    /**
     * A weight gradient's entry at tap (ky, kx) of an output plane against an input plane: sum over the output
     * positions whose tap lands inside the input of out[pos] * in[tap at pos], with its sum of absolute terms.
     */
    private double[] atTap(double[] outPlane, double[] outAbs, double[] inPlane, double[] inAbs, int ky, int kx) {
        double ref = 0, abs = 0;
        int x0Min = firstInside(kx, w, ow), x0End = endInside(kx, w, ow);
        for (int y0 = 0; y0 < oh; y0++) {
            int iy = y0 * s + ky - p;
            if (iy < 0 || iy >= h) continue;
            int in = iy * w + kx - p, out = y0 * ow;
            for (int x0 = x0Min; x0 < x0End; x0++) {
                ref += outPlane[out + x0] * inPlane[in + x0 * s];
                abs += outAbs[out + x0] * inAbs[in + x0 * s];
            }
        }
        return new double[] {ref, abs};
    }

    /** The first output column whose tap kx reads inside the input. */
    private int firstInside(int kx, int width, int outWidth) {
        int x0 = 0;
        while (x0 < outWidth && x0 * s + kx - p < 0) x0++;
        return x0;
    }

    /** One past the last output column whose tap kx reads inside the input. */
    private int endInside(int kx, int width, int outWidth) {
        int end = outWidth;
        while (end > 0 && (end - 1) * s + kx - p >= width) end--;
        return end;
    }

    /** Row sums (rows = true) or column sums of each output channel: W . (the input under each tap, summed along the line). */
    private double[][] expectLines(boolean rows) {
        int lines = rows ? oh : ow, along = rows ? ow : oh;
        int taps = ic * k * k;
        // sums[tap][line]: the input under tap (c, ky, kx) summed along the line, built from one pass over the input
        double[][] sums = new double[taps][lines], sumsAbs = new double[taps][lines];
        for (int c = 0; c < ic; c++) {
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    int j = (c * k + ky) * k + kx;
                    double[] sj = sums[j], aj = sumsAbs[j];
                    int x0Min = firstInside(kx, w, ow), x0End = endInside(kx, w, ow);
                    for (int y0 = 0; y0 < oh; y0++) {
                        int iy = y0 * s + ky - p;
                        if (iy < 0 || iy >= h) continue;
                        int in = (c * h + iy) * w + kx - p;
                        if (rows) {
                            double sum = 0, sumAbs = 0;
                            for (int x0 = x0Min; x0 < x0End; x0++) {
                                double v = x[in + x0 * s];
                                sum += v;
                                sumAbs += Math.abs(v);
                            }
                            sj[y0] += sum;
                            aj[y0] += sumAbs;
                        } else {
                            for (int x0 = x0Min; x0 < x0End; x0++) {
                                double v = x[in + x0 * s];
                                sj[x0] += v;
                                aj[x0] += Math.abs(v);
                            }
                        }
                    }
                }
            }
        }
        double[] ref = new double[oc * lines], abs = new double[oc * lines];
        for (int o = 0; o < oc; o++) {
            int wBase = o * taps, out = o * lines;
            for (int line = 0; line < lines; line++) {
                ref[out + line] = (double) bias[o] * along;
                abs[out + line] = Math.abs(bias[o]) * along;
            }
            for (int j = 0; j < taps; j++) {
                double wv = weight[wBase + j], wa = Math.abs(wv);
                if (wv == 0) continue;
                double[] sj = sums[j], aj = sumsAbs[j];
                for (int line = 0; line < lines; line++) {
                    ref[out + line] += wv * sj[line];
                    abs[out + line] += wa * aj[line];
                }
            }
        }
        return new double[][] {ref, abs};
    }

    /**
     * Checks the gradients of sum(y * upstream) with respect to the input (ic, h, w), the weight (oc, ic, k, k) and
     * the bias (oc).
     */
    public List<Deviation> checkBackward(float[] dx, float[] dw, float[] db, double relTolerance) {
        List<Deviation> out = new ArrayList<>();
        int taps = ic * k * k;
        // bias: the upstream gradient summed per channel
        Worst bias = new Worst("bias gradient");
        for (int o = 0; o < oc; o++) {
            double ref = 0, abs = 0;
            for (int i = 0; i < oh * ow; i++) {
                ref += upstream[o * oh * ow + i];
                abs += Math.abs(upstream[o * oh * ow + i]);
            }
            bias.offer(o, ref, db[o], relTolerance * (abs + Math.abs(db[o])) + 1e-30);
        }
        out.add(bias.result());
        // weight, projected over output channels: sum_o r_o dW[o, tap] = sum_pos (sum_o r_o g[o, pos]) x[tap at pos]
        double[][] upstreamProjected = projectChannels(upstream, outSigns, oh * ow);
        double[] gr = upstreamProjected[0], grAbs = upstreamProjected[1];
        Worst wOut = new Worst("weight gradient projected over output channels");
        double[] plane = new double[h * w], planeAbs = new double[h * w];
        for (int c = 0; c < ic; c++) {
            for (int i = 0; i < h * w; i++) {
                plane[i] = x[c * h * w + i];
                planeAbs[i] = Math.abs(plane[i]);
            }
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    double[] ref = atTap(gr, grAbs, plane, planeAbs, ky, kx);
                    int j = (c * k + ky) * k + kx;
                    double meas = 0, measAbs = 0;
                    for (int o = 0; o < oc; o++) {
                        meas += outSigns[o] * dw[o * taps + j];
                        measAbs += Math.abs(dw[o * taps + j]);
                    }
                    wOut.offer(j, ref[0], meas, relTolerance * (ref[1] + measAbs) + 1e-30);
                }
            }
        }
        out.add(wOut.result());
        // weight, projected over input channels: sum_c q_c dW[o, c, ky, kx] = sum_pos g[o, pos] (sum_c q_c x[c, ...])
        double[][] inputProjected = projectChannels(x, inSigns, h * w);
        double[] xq = inputProjected[0], xqAbs = inputProjected[1];
        Worst wIn = new Worst("weight gradient projected over input channels");
        double[] gPlane = new double[oh * ow], gAbs = new double[oh * ow];
        for (int o = 0; o < oc; o++) {
            for (int i = 0; i < oh * ow; i++) {
                gPlane[i] = upstream[o * oh * ow + i];
                gAbs[i] = Math.abs(gPlane[i]);
            }
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    double[] ref = atTap(gPlane, gAbs, xq, xqAbs, ky, kx);
                    double meas = 0, measAbs = 0;
                    for (int c = 0; c < ic; c++) {
                        double v = dw[o * taps + (c * k + ky) * k + kx];
                        meas += inSigns[c] * v;
                        measAbs += Math.abs(v);
                    }
                    wIn.offer(o * k * k + ky * k + kx, ref[0], meas, relTolerance * (ref[1] + measAbs) + 1e-30);
                }
            }
        }
        out.add(wIn.result());
        // input, projected over input channels (every input position): a transposed convolution of the upstream
        // gradient with the weights projected over input channels
        double[] wq = new double[oc * k * k], wqAbs = new double[oc * k * k];
        for (int o = 0; o < oc; o++) {
            for (int c = 0; c < ic; c++) {
                for (int t = 0; t < k * k; t++) {
                    float v = weight[(o * ic + c) * k * k + t];
                    wq[o * k * k + t] += inSigns[c] * v;
                    wqAbs[o * k * k + t] += Math.abs(v);
                }
            }
        }
        double[] ref = new double[h * w], abs = new double[h * w];
        for (int o = 0; o < oc; o++) {
            for (int y0 = 0; y0 < oh; y0++) {
                for (int x0 = 0; x0 < ow; x0++) {
                    double g = upstream[(o * oh + y0) * ow + x0];
                    if (g == 0) continue;
                    for (int ky = 0; ky < k; ky++) {
                        int iy = y0 * s + ky - p;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < k; kx++) {
                            int ix = x0 * s + kx - p;
                            if (ix < 0 || ix >= w) continue;
                            ref[iy * w + ix] += g * wq[(o * k + ky) * k + kx];
                            abs[iy * w + ix] += Math.abs(g) * wqAbs[(o * k + ky) * k + kx];
                        }
                    }
                }
            }
        }
        Worst xPos = new Worst("input gradient projected over channels");
        double[][] dxProjected = projectChannels(dx, inSigns, h * w);
        for (int i = 0; i < h * w; i++)
            xPos.offer(i, ref[i], dxProjected[0][i], relTolerance * (abs[i] + dxProjected[1][i]) + 1e-30);
        out.add(xPos.result());
        // input, summed per channel: sum_pos dX[c] = sum_{o, tap} W[o, c, tap] * (upstream of o summed where tap lands
        // inside)
        double[][] t = new double[oc][k * k], tAbs = new double[oc][k * k];
        for (int o = 0; o < oc; o++) {
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    double sum = 0, sumAbs = 0;
                    for (int y0 = 0; y0 < oh; y0++) {
                        int iy = y0 * s + ky - p;
                        if (iy < 0 || iy >= h) continue;
                        for (int x0 = 0; x0 < ow; x0++) {
                            int ix = x0 * s + kx - p;
                            if (ix < 0 || ix >= w) continue;
                            double g = upstream[(o * oh + y0) * ow + x0];
                            sum += g;
                            sumAbs += Math.abs(g);
                        }
                    }
                    t[o][ky * k + kx] = sum;
                    tAbs[o][ky * k + kx] = sumAbs;
                }
            }
        }
        Worst xSum = new Worst("input gradient summed per channel");
        for (int c = 0; c < ic; c++) {
            double r0 = 0, a0 = 0;
            for (int o = 0; o < oc; o++) {
                for (int tap = 0; tap < k * k; tap++) {
                    double wv = weight[(o * ic + c) * k * k + tap];
                    r0 += wv * t[o][tap];
                    a0 += Math.abs(wv) * tAbs[o][tap];
                }
            }
            double meas = 0, measAbs = 0;
            for (int i = 0; i < h * w; i++) {
                meas += dx[c * h * w + i];
                measAbs += Math.abs(dx[c * h * w + i]);
            }
            xSum.offer(c, r0, meas, relTolerance * (a0 + measAbs) + 1e-30);
        }
        out.add(xSum.result());
        return out;
    }

    /** Tracks the worst error relative to its tolerance; a NaN or infinite value counts as infinitely wrong. */

    /**
     * {@code v} laid out (channels, plane) projected over its channels: per plane position i, {sum_c signs[c] v[c, i]}
     * and {sum_c |v[c, i]|} (the scale its tolerance is relative to).
     */
    private static double[][] projectChannels(float[] v, double[] signs, int plane) {
        double[] sum = new double[plane], abs = new double[plane];
        for (int c = 0; c < signs.length; c++) {
            int base = c * plane;
            for (int i = 0; i < plane; i++) {
                sum[i] += signs[c] * v[base + i];
                abs[i] += Math.abs(v[base + i]);
            }
        }
        return new double[][] {sum, abs};
    }

    private static final class Worst {
        private final String what;
        private double worst = 0;
        private int index = -1;
        private double expected, actual;

        Worst(String what) {
            this.what = what;
        }

        void offer(int i, double ref, double meas, double tolerance) {
            double e = Double.isFinite(meas) ? Math.abs(meas - ref) / tolerance : Double.POSITIVE_INFINITY;
            if (index < 0 || e > worst) {
                worst = e;
                index = i;
                expected = ref;
                actual = meas;
            }
        }

        Deviation result() {
            return new Deviation(what, worst, index, expected, actual);
        }
    }
}
