package io.dydet.train;

import ai.djl.ndarray.NDArray;
import io.dydet.model.DynamicDetModel;
import io.dydet.nn.ParamSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The optimiser's parameter groups as the original builds them (spec 5.3): [0] no-decay weights (BatchNorm gammas,
 * ImplicitA/M), [1] decay weights (every convolution kernel), [2] biases (convolution biases and BatchNorm betas).
 * Step 2 (spec 6.3) has only the router: [0] its kernels with decay, [1] its biases without.
 */
public final class ParameterGroups {
    /** One group: its parameters by state-dict name, and whether weight decay applies. */
    public record Group(String name, Map<String, NDArray> params, boolean decay, boolean biases) {}

    private ParameterGroups() {}

    /** Step 1: every trainable tensor of the model. */
    public static List<Group> detector(DynamicDetModel model) {
        Set<String> bn = batchNormPrefixes(model);
        Map<String, NDArray> noDecay = new LinkedHashMap<>(), decay = new LinkedHashMap<>(), biases = new LinkedHashMap<>();
        for (var e : Trainables.of(model, n -> true).entrySet()) {
            String n = e.getKey();
            String prefix = n.substring(0, n.lastIndexOf('.') + 1);
            if (n.endsWith(".bias")) biases.put(n, e.getValue());
            else if (n.endsWith(".implicit") || (n.endsWith(".weight") && bn.contains(prefix))) noDecay.put(n, e.getValue());
            else decay.put(n, e.getValue());
        }
        return List.of(new Group("no-decay weights", noDecay, false, false), new Group("decay weights", decay, true, false),
                new Group("biases", biases, false, true));
    }

    /** Step 2: the router's kernels (decay) and biases (none). */
    public static List<Group> router(DynamicDetModel model) {
        Map<String, NDArray> kernels = new LinkedHashMap<>(), biases = new LinkedHashMap<>();
        Trainables.of(model, n -> n.startsWith("router.")).forEach((n, t) -> (n.endsWith(".bias") ? biases : kernels).put(n, t));
        if (kernels.isEmpty()) throw new IllegalArgumentException("model " + model.network().spec().name() + " has no router");
        return List.of(new Group("router kernels", kernels, true, false), new Group("router biases", biases, false, false));
    }

    /** A BatchNorm is a layer prefix that owns running statistics. */
    private static Set<String> batchNormPrefixes(DynamicDetModel model) {
        Set<String> out = new java.util.HashSet<>();
        for (ParamSpec p : model.network().stateDictSpec()) {
            if (p.name().endsWith(".running_mean")) out.add(p.name().substring(0, p.name().length() - "running_mean".length()));
        }
        return out;
    }

    /** Every tensor in the groups. */
    public static List<NDArray> all(List<Group> groups) {
        List<NDArray> out = new ArrayList<>();
        for (Group g : groups) out.addAll(g.params().values());
        return out;
    }

    /** Only the named tensors get gradients; used to freeze everything but the groups. */
    public static Predicate<String> names(List<Group> groups) {
        Set<String> s = new java.util.HashSet<>();
        for (Group g : groups) s.addAll(g.params().keySet());
        return s::contains;
    }
}
