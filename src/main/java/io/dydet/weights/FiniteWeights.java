package io.dydet.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Refuses weights that hold NaN or infinite values. Such a model runs but computes garbage without a word (a NaN
 * router score, for one, sends every image to route 2), so every load of model weights checks once, on the engine.
 */
public final class FiniteWeights {
    private FiniteWeights() {}

    /**
     * Checks every floating tensor of {@code tensors}: one host read for them all, and only when that finds a
     * non-finite value, counts for the tensors that hold one.
     *
     * @param source the file the tensors come from, for the message
     * @throws WeightsException naming the file, the first tensor (in map order) with NaN or infinite values and
     *     how many it holds
     */
    public static void require(String source, Map<String, NDArray> tensors) throws WeightsException {
        List<String> names = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            NDList sums = new NDList();
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                NDArray a = e.getValue();
                if (!a.getDataType().isFloating() || a.size() == 0) continue;
                names.add(e.getKey());
                // x - x is 0 for finite x and NaN for NaN or +-inf: the sum is NaN exactly when the tensor holds one
                try (NDArray zeros = a.sub(a)) {
                    sums.add(zeros.sum().toType(DataType.FLOAT32, false));
                }
            }
            if (sums.isEmpty()) return;
            NDArray each = NDArrays.stack(sums);
            if (!Float.isNaN(each.sum().getFloat())) return;
            float[] perTensor = each.toFloatArray();
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < perTensor.length; i++) if (Float.isNaN(perTensor[i])) bad.add(names.get(i));
            NDArray first = tensors.get(bad.get(0));
            long nan = first.isNaN().countNonzero().getLong();
            long inf = first.isInfinite().countNonzero().getLong();
            String what = nan > 0 && inf > 0
                    ? nan + " NaN and " + count(inf, "infinite")
                    : nan > 0 ? count(nan, "NaN") : count(inf, "infinite");
            String more = bad.size() > 1
                    ? " (and " + (bad.size() - 1) + " more: "
                            + String.join(", ", bad.subList(1, Math.min(bad.size(), 6)))
                            + (bad.size() > 6 ? ", ..." : "") + ")"
                    : "";
            throw new WeightsException("weights " + source + ": tensor " + bad.get(0) + " holds " + what + more
                    + ": the file is damaged or was trained into divergence");
        }
    }

    private static String count(long n, String kind) {
        return n + " " + kind + (n == 1 ? " value" : " values");
    }
}
