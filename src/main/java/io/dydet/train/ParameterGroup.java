package io.dydet.train;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One optimiser parameter group: a name for messages, whether the group gets weight decay when the optimiser is
 * built, and its tensors by state-dict name (the model's own arrays, updated in place).
 */
public record ParameterGroup(String name, boolean decays, Map<String, NDArray> parameters) {
    public ParameterGroup {
        Objects.requireNonNull(name, "name");
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    public int size() {
        return parameters.size();
    }

    /** Number of scalar weights in the group. */
    public long elements() {
        long n = 0;
        for (NDArray a : parameters.values()) n += a.getShape().size();
        return n;
    }
}
