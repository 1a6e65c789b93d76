package io.dydet.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Tensor comparisons whose failure names the tensor, the worst element, and both values. */
public final class TensorAssert {
    private TensorAssert() {}

    /** max |actual - expected| <= tol. */
    public static double assertClose(String what, NDArray expected, NDArray actual, double tol) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
        float[] e = expected.toType(DataType.FLOAT32, false).toFloatArray();
        float[] a = actual.toType(DataType.FLOAT32, false).toFloatArray();
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs((double) a[i] - e[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        if (!(worst <= tol)) {
            throw new AssertionError(String.format(
                    "%s %s: max |diff| %.3g > %.3g at flat index %d: expected %.6g, actual %.6g",
                    what, expected.getShape(), worst, tol, at, e[at], a[at]));
        }
        return worst;
    }

    /** max |actual - expected| <= rel * max |expected|. */
    public static double assertCloseRelMax(String what, NDArray expected, NDArray actual, double rel) {
        float[] e = expected.toType(DataType.FLOAT32, false).toFloatArray();
        double max = 0;
        for (float v : e) max = Math.max(max, Math.abs(v));
        return assertClose(
                what + " (tolerance " + rel + " x max " + (float) max + ")",
                expected,
                actual,
                rel * Math.max(max, 1e-12));
    }
}
