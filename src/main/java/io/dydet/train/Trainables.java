package io.dydet.train;

import ai.djl.ndarray.NDArray;
import io.dydet.model.DynamicDetModel;
import io.dydet.nn.ParamSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/** The trainable tensors of a model (parameters, not buffers), and switching their gradients on. */
public final class Trainables {
    private Trainables() {}

    /** Parameters by state-dict name, in state-dict order. */
    public static Map<String, NDArray> of(DynamicDetModel model, Predicate<String> names) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (ParamSpec p : model.network().stateDictSpec()) {
            if (p.trainable() && names.test(p.name()))
                out.put(p.name(), model.stateDict().get(p.name()));
        }
        return out;
    }

    /** Every parameter gets a gradient. */
    public static Map<String, NDArray> requireGradients(DynamicDetModel model) {
        return requireGradients(model, n -> true);
    }

    /** The named parameters get a gradient; the others are frozen. */
    public static Map<String, NDArray> requireGradients(DynamicDetModel model, Predicate<String> names) {
        Map<String, NDArray> all = of(model, n -> true);
        Map<String, NDArray> out = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            boolean on = names.test(k);
            v.setRequiresGradient(on);
            if (on) out.put(k, v);
        });
        return out;
    }
}
