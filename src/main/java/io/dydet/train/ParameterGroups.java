package io.dydet.train;

import ai.djl.ndarray.NDArray;
import io.dydet.model.DynamicDetModel;
import io.dydet.nn.ParamSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The optimiser's parameter groups, built from a model's trainable tensors the way the original does (design.md, Training
 * step 1 and Training step 2). The group index matters: the schedule warms group 2 (biases) up from {@code warmup_bias_lr}.
 *
 * <ul>
 *   <li>{@link #of(DynamicDetModel)} (step 1): group 0 "no-decay weights" (BatchNorm gammas, IDetect
 *       ImplicitA/ImplicitM), group 1 "decay weights" (every other {@code weight}: conv kernels incl. RepConv,
 *       CBLinear, IDetect and router), group 2 "biases" (every {@code bias}: conv biases and BatchNorm betas).
 *   <li>{@link #routerOnly(DynamicDetModel)} (step 2): group 0 router kernels (with decay), group 1 router biases
 *       (without); no group 2.
 * </ul>
 *
 * A tensor is a BatchNorm gamma when its prefix also owns a {@code running_mean} buffer; that follows the layer
 * structure, not a list of module names. Any trainable tensor that fits none of the rules is an error, so a new
 * layer type cannot silently go untrained.
 *
 * <pre>{@code
 * ParameterGroups groups = ParameterGroups.of(model);
 * groups.requireGradients(model);         // before the first forward; freezes the rest
 * Optimizer opt = Optimizers.sgd(groups, hyp.lr0(), hyp.momentum(), schedule.weightDecay(), true);
 * }</pre>
 */
public final class ParameterGroups {
    /** Group index whose learning rate warms up from {@code warmup_bias_lr} (the original's {@code j == 2}). */
    public static final int BIAS_GROUP = 2;

    private final List<ParameterGroup> groups;

    public ParameterGroups(List<ParameterGroup> groups) {
        this.groups = List.copyOf(groups);
        Set<String> seen = new HashSet<>();
        for (ParameterGroup g : this.groups) {
            for (String n : g.parameters().keySet()) {
                if (!seen.add(n))
                    throw new IllegalArgumentException("tensor " + n + " is in more than one parameter group");
            }
        }
    }

    /** Step 1: the three groups over every trainable tensor of the model. */
    public static ParameterGroups of(DynamicDetModel model) {
        return of(model, name -> true);
    }

    /** Step-1 grouping over the trainable tensors whose name passes {@code include}. */
    public static ParameterGroups of(DynamicDetModel model, Predicate<String> include) {
        Map<String, NDArray> noDecay = new LinkedHashMap<>();
        Map<String, NDArray> decay = new LinkedHashMap<>();
        Map<String, NDArray> biases = new LinkedHashMap<>();
        for (Trainable t : trainables(model, include)) {
            switch (t.role) {
                case BATCH_NORM_WEIGHT, IMPLICIT -> noDecay.put(t.name, t.array);
                case KERNEL -> decay.put(t.name, t.array);
                case BIAS -> biases.put(t.name, t.array);
            }
        }
        return new ParameterGroups(List.of(
                new ParameterGroup("no-decay weights", false, noDecay),
                new ParameterGroup("decay weights", true, decay),
                new ParameterGroup("biases", false, biases)));
    }

    /** Step 2: router kernels (decay) and router biases (no decay); names containing {@code router}, as the original. */
    public static ParameterGroups routerOnly(DynamicDetModel model) {
        if (!model.network().isDynamic()) {
            throw new IllegalArgumentException("model " + model.network().spec().name() + " has no router to train");
        }
        Map<String, NDArray> kernels = new LinkedHashMap<>();
        Map<String, NDArray> biases = new LinkedHashMap<>();
        for (Trainable t : trainables(model, name -> name.contains("router"))) {
            switch (t.role) {
                case KERNEL -> kernels.put(t.name, t.array);
                case BIAS -> biases.put(t.name, t.array);
                default -> throw new IllegalStateException("unexpected router tensor " + t.name + " (" + t.role + ")");
            }
        }
        return new ParameterGroups(List.of(
                new ParameterGroup("router weights", true, kernels),
                new ParameterGroup("router biases", false, biases)));
    }

    public List<ParameterGroup> groups() {
        return groups;
    }

    public ParameterGroup get(int index) {
        return groups.get(index);
    }

    public int size() {
        return groups.size();
    }

    /** Every grouped tensor by name, in group order. */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> all = new LinkedHashMap<>();
        for (ParameterGroup g : groups) all.putAll(g.parameters());
        return all;
    }

    /** Index of the group holding {@code name}, or -1. */
    public int groupOf(String name) {
        for (int i = 0; i < groups.size(); i++) if (groups.get(i).parameters().containsKey(name)) return i;
        return -1;
    }

    /** Every grouped tensor of {@code model} gets a gradient; the model's other parameters are frozen. */
    public void requireGradients(DynamicDetModel model) {
        Trainables.requireGradients(model, parameters()::containsKey);
    }

    private enum Role {
        BATCH_NORM_WEIGHT,
        IMPLICIT,
        KERNEL,
        BIAS
    }

    private record Trainable(String name, NDArray array, Role role) {}

    private static List<Trainable> trainables(DynamicDetModel model, Predicate<String> include) {
        List<ParamSpec> spec = model.network().stateDictSpec();
        Set<String> batchNormPrefixes = new HashSet<>();
        for (ParamSpec p : spec) {
            if (!p.trainable() && p.name().endsWith(".running_mean")) {
                batchNormPrefixes.add(p.name().substring(0, p.name().length() - "running_mean".length()));
            }
        }
        List<Trainable> out = new ArrayList<>();
        Trainables.of(model, include)
                .forEach((name, array) -> out.add(new Trainable(name, array, role(name, batchNormPrefixes))));
        return out;
    }

    private static Role role(String name, Set<String> batchNormPrefixes) {
        int dot = name.lastIndexOf('.');
        String prefix = name.substring(0, dot + 1);
        String leaf = name.substring(dot + 1);
        return switch (leaf) {
            case "bias" -> Role.BIAS;
            case "weight" -> batchNormPrefixes.contains(prefix) ? Role.BATCH_NORM_WEIGHT : Role.KERNEL;
            case "implicit" -> Role.IMPLICIT;
            default -> throw new IllegalStateException("no parameter group rule for trainable tensor " + name);
        };
    }
}
