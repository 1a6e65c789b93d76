package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelFiles;
import io.dydet.weights.FiniteWeights;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.TorchCheckpoint;
import io.dydet.weights.WeightsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Starts a model from other weights by name and shape (the original's intersect_dicts): fine-tuning released COCO
 * weights on a data set with other classes, or building the step-2 model from a step-1 file. Anchors are never
 * copied (they come from the definition). Everything not copied is reported; this is the one place where a
 * non-strict load is right.
 */
public final class WeightTransfer {
    /** What was copied and what was not, with why. */
    public record Report(
            int copied,
            List<String> skippedShape,
            List<String> notInFile,
            List<String> notInModel,
            List<String> anchors) {
        /** A few lines for the log: counts and the first names of each list. */
        public String describe() {
            StringBuilder sb = new StringBuilder("copied " + copied + " tensors");
            append(sb, "kept from initialisation (shape differs)", skippedShape);
            append(sb, "kept from initialisation (not in the file)", notInFile);
            append(sb, "ignored (not in this model)", notInModel);
            append(sb, "anchors from the definition", anchors);
            return sb.toString();
        }

        private static void append(StringBuilder sb, String what, List<String> names) {
            if (names.isEmpty()) return;
            sb.append("; ")
                    .append(what)
                    .append(": ")
                    .append(names.size())
                    .append(" (")
                    .append(String.join(", ", names.subList(0, Math.min(6, names.size()))))
                    .append(names.size() > 6 ? ", ..." : "")
                    .append(')');
        }
    }

    private WeightTransfer() {}

    /** Copies every tensor of {@code file} (dydet model file, safetensors or original checkpoint) that fits by name and shape, anchors excluded. */
    public static Report copyInto(DynamicDetModel model, Path file) throws WeightsException {
        return copyInto(model, file, false);
    }

    /**
     * @param anchors also copy the anchors (step 2 keeps the step-1 model's, which autoanchor may have changed; the
     *                original resets them to its cfg's, which would break such a model)
     */
    public static Report copyInto(DynamicDetModel model, Path file, boolean anchors) throws WeightsException {
        try (NDManager staging = model.manager().newSubManager()) {
            Map<String, NDArray> tensors;
            if (ModelFiles.isCheckpoint(file)) {
                try (TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
                    tensors = ckpt.stateDict(staging);
                }
            } else {
                try (SafeTensorsFile f = SafeTensors.open(file)) {
                    tensors = f.readAll(staging, false);
                }
            }
            FiniteWeights.require(file.toString(), tensors); // the whole file: a NaN anywhere means it is damaged
            return copyInto(model, tensors, anchors);
        }
    }

    public static Report copyInto(DynamicDetModel model, Map<String, NDArray> tensors) {
        return copyInto(model, tensors, false);
    }

    public static Report copyInto(DynamicDetModel model, Map<String, NDArray> tensors, boolean includeAnchors) {
        int copied = 0;
        List<String> shape = new ArrayList<>(),
                missing = new ArrayList<>(),
                extra = new ArrayList<>(),
                anchors = new ArrayList<>();
        Map<String, NDArray> state = model.stateDict();
        for (var e : state.entrySet()) {
            String name = e.getKey();
            NDArray have = e.getValue();
            NDArray from = tensors.get(name);
            if (name.contains("anchor") && !includeAnchors) {
                anchors.add(name);
                continue;
            }
            if (from == null) {
                missing.add(name);
                continue;
            }
            if (!Arrays.equals(from.getShape().getShape(), have.getShape().getShape())) {
                shape.add(name + " " + from.getShape() + " vs " + have.getShape());
                continue;
            }
            try (NDArray converted = from.toType(have.getDataType(), true);
                    NDArray placed = converted.toDevice(have.getDevice(), true)) {
                have.set(placed.toByteBuffer());
            }
            copied++;
        }
        for (String name : tensors.keySet()) if (!state.containsKey(name)) extra.add(name);
        return new Report(copied, shape, missing, extra, anchors);
    }
}
