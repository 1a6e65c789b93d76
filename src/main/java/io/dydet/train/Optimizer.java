package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dydet.engine.Engines;
import io.dydet.json.Json;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.TensorEntry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A first-order optimiser with PyTorch's semantics that updates the model's tensors in place from their gradients
 * ({@code NDArray.getGradient()}, filled by a backward pass). Learning rate, momentum and weight decay are per
 * group and mutable: the schedule sets them before each step ({@link Schedule#apply}).
 *
 * <pre>{@code
 * opt.zeroGrad();                  // once before the first backward; again after each step
 * ... forward, backward (gradients add up over accumulated batches, as in torch) ...
 * if (Schedule.stepsAt(ni, lastStep, accumulate)) { opt.step(); opt.zeroGrad(); ema.update(model); lastStep = ni; }
 * opt.save(dir.resolve("optimizer.safetensors"));   // resume: opt.load(file) on a fresh optimiser
 * }</pre>
 *
 * Like torch, a parameter whose gradient was never defined (no backward reached it) is skipped: no decay, no state.
 * State (momentum buffers, Adam moments, step counts) lives in this optimiser's own manager, is created on a
 * parameter's first step, and can be saved and loaded by parameter name so a resumed run continues bit-exactly.
 * Gradient mode is switched off on the calling thread for the update and restored afterwards. Not thread-safe.
 */
public abstract class Optimizer implements AutoCloseable {
    private static final ObjectMapper JSON = Json.MAPPER;
    static final String KIND_KEY = "dydet.optimizer";
    static final String GROUPS_KEY = "groups";
    static final String STEPS_KEY = "steps";

    private final ParameterGroups groups;
    private final double[] lr;
    private final double[] momentum;
    private final double[] weightDecay;
    private final NDManager stateManager;
    /** slot name -> parameter name -> state tensor, e.g. "exp_avg" -> "model_b.0.conv.weight" -> array. */
    private final Map<String, Map<String, NDArray>> slots = new LinkedHashMap<>();

    private final Map<String, Long> steps = new LinkedHashMap<>();

    Optimizer(ParameterGroups groups, double lr, double momentum, double weightDecay) {
        if (groups.size() == 0) throw new IllegalArgumentException("no parameter groups");
        this.groups = groups;
        int n = groups.size();
        this.lr = new double[n];
        this.momentum = new double[n];
        this.weightDecay = new double[n];
        for (int i = 0; i < n; i++) {
            this.lr[i] = lr;
            this.momentum[i] = momentum;
            this.weightDecay[i] = groups.get(i).decays() ? weightDecay : 0;
        }
        NDArray any = groups.parameters().values().stream()
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("parameter groups hold no tensors"));
        this.stateManager = any.getManager().getEngine().newBaseManager(any.getDevice());
        for (String slot : slotNames()) slots.put(slot, new LinkedHashMap<>());
    }

    /** Short name stored with the state: {@code sgd}, {@code sgd-nesterov}, {@code adam}, {@code adamw}. */
    public abstract String kind();

    /** Names of the per-parameter state tensors, e.g. {@code momentum_buffer}. */
    abstract List<String> slotNames();

    /**
     * Updates one parameter in place. Called inside an {@link NDScope} with gradient mode off; temporaries may be
     * left to the scope, state tensors must be created with {@link #createState}.
     *
     * @param step this parameter's step number, 1 on its first update
     */
    abstract void update(int group, String name, NDArray param, NDArray grad, long step);

    /** Whether {@link #setMomentum} applies (SGD); Adam's beta1 is fixed, as in the original's warmup. */
    public abstract boolean hasMomentum();

    public ParameterGroups groups() {
        return groups;
    }

    public double lr(int group) {
        return lr[group];
    }

    public void setLr(int group, double value) {
        lr[group] = requireFinite(value, "lr");
    }

    /** SGD momentum, or Adam's beta1. */
    public double momentum(int group) {
        return momentum[group];
    }

    public void setMomentum(int group, double value) {
        if (!hasMomentum())
            throw new UnsupportedOperationException(kind() + " has no settable momentum (beta1 is fixed)");
        momentum[group] = requireFinite(value, "momentum");
    }

    public double weightDecay(int group) {
        return weightDecay[group];
    }

    public void setWeightDecay(int group, double value) {
        weightDecay[group] = requireFinite(value, "weight decay");
    }

    /** Number of steps taken by the parameter that has stepped most (0 before the first step). */
    public long stepCount() {
        return steps.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** One update of every grouped parameter that has a gradient. */
    public void step() {
        boolean grad = Engines.isGradEnabled();
        Engines.setGradEnabled(false);
        try (NDScope scope = new NDScope()) {
            for (int g = 0; g < groups.size(); g++) {
                List<String> names = new ArrayList<>();
                List<NDArray> params = new ArrayList<>(), gradients = new ArrayList<>();
                for (Map.Entry<String, NDArray> e : groups.get(g).parameters().entrySet()) {
                    NDArray gradient = gradientOrNull(e.getValue());
                    if (gradient == null) continue;
                    names.add(e.getKey());
                    params.add(e.getValue());
                    gradients.add(gradient);
                }
                long[] stepNumbers = new long[names.size()];
                for (int i = 0; i < stepNumbers.length; i++) stepNumbers[i] = steps.getOrDefault(names.get(i), 0L) + 1;
                try {
                    updateGroup(g, names, params, gradients, stepNumbers);
                } finally {
                    gradients.forEach(NDArray::close);
                }
                for (int i = 0; i < stepNumbers.length; i++) steps.put(names.get(i), stepNumbers[i]);
            }
        } finally {
            Engines.setGradEnabled(grad);
        }
    }

    /**
     * Updates a group's parameters that have gradients (lists in the same order; step numbers 1 on a parameter's first
     * update): one {@link #update} per parameter unless the optimiser has a multi-tensor form.
     */
    void updateGroup(int group, List<String> names, List<NDArray> params, List<NDArray> grads, long[] steps) {
        for (int i = 0; i < names.size(); i++) update(group, names.get(i), params.get(i), grads.get(i), steps[i]);
    }

    /** Sets every defined gradient of the grouped parameters to zero (torch's {@code zero_grad(set_to_none=False)}). */
    public void zeroGrad() {
        for (NDArray p : groups.parameters().values()) {
            if (p instanceof PtNDArray pt) {
                NDArray g = JniUtils.getGradient(pt);
                if (g != null) {
                    JniUtils.zeroGrad(pt);
                    g.close();
                }
            } else if (p.hasGradient()) {
                try (NDArray g = p.getGradient()) {
                    g.subi(g);
                }
            }
        }
    }

    /** The gradient of a parameter, or null where torch's {@code p.grad} would be None. */
    private static NDArray gradientOrNull(NDArray p) {
        if (p instanceof PtNDArray pt) return JniUtils.getGradient(pt);
        return p.hasGradient() ? p.getGradient() : null;
    }

    /** The state tensor of {@code slot} for a parameter, or null before its first step. */
    NDArray state(String slot, String name) {
        return slots.get(slot).get(name);
    }

    /** Keeps {@code array} (created during a step) as state: out of the step's scope, into this optimiser's manager. */
    NDArray createState(String slot, String name, NDArray array) {
        NDScope.unregister(array);
        array.attach(stateManager);
        NDArray old = slots.get(slot).put(name, array);
        if (old != null) old.close();
        return array;
    }

    /**
     * The state tensors, named {@code <slot>/<parameter name>} (e.g. {@code exp_avg/model_b.0.conv.weight}), in this
     * optimiser's manager; read-only view, valid until the next {@link #load} or {@link #close}.
     */
    public Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        slots.forEach((slot, m) -> m.forEach((name, a) -> out.put(slot + "/" + name, a)));
        return Collections.unmodifiableMap(out);
    }

    /** The scalar state as strings: the kind, per-group hyper-parameters and per-parameter step counts (JSON). */
    public Map<String, String> stateMetadata() {
        ArrayNode gs = JSON.createArrayNode();
        for (int i = 0; i < groups.size(); i++) {
            gs.addObject()
                    .put("name", groups.get(i).name())
                    .put("lr", lr[i])
                    .put("momentum", momentum[i])
                    .put("weight_decay", weightDecay[i]);
        }
        ObjectNode st = JSON.createObjectNode();
        steps.forEach(st::put);
        Map<String, String> md = new LinkedHashMap<>();
        md.put(KIND_KEY, kind());
        md.put(GROUPS_KEY, gs.toString());
        md.put(STEPS_KEY, st.toString());
        return md;
    }

    /** Writes the state (tensors and scalars) to one safetensors file, atomically. */
    public void save(Path file) throws IOException {
        SafeTensors.write(file, stateTensors(), stateMetadata());
    }

    /** Replaces the state with one written by {@link #save} for the same optimiser kind and parameter groups. */
    public void load(Path file) throws IOException {
        try (NDManager reading = stateManager.newSubManager();
                SafeTensorsFile f = SafeTensors.open(file)) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (TensorEntry e : f.entries()) tensors.put(e.name(), f.read(reading, e.name()));
            load(tensors, f.metadata());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Replaces the state with the given tensors and scalars (as from {@link #stateTensors} and
     * {@link #stateMetadata}); the tensors are copied. Everything is checked before anything changes.
     *
     * @throws IllegalArgumentException if the kind, the groups, a name or a shape does not match
     */
    public void load(Map<String, NDArray> tensors, Map<String, String> metadata) {
        if (!kind().equals(metadata.get(KIND_KEY))) {
            throw new IllegalArgumentException(
                    "optimizer state is for '" + metadata.get(KIND_KEY) + "', not '" + kind() + "'");
        }
        JsonNode gs = parse(metadata.get(GROUPS_KEY), GROUPS_KEY);
        JsonNode st = parse(metadata.get(STEPS_KEY), STEPS_KEY);
        if (!gs.isArray() || gs.size() != groups.size()) {
            throw new IllegalArgumentException(
                    "optimizer state has " + gs.size() + " parameter groups, this optimizer " + groups.size());
        }
        for (int i = 0; i < groups.size(); i++) {
            String name = gs.get(i).path("name").asText();
            if (!name.equals(groups.get(i).name())) {
                throw new IllegalArgumentException("parameter group " + i + " is '" + name + "' in the state, '"
                        + groups.get(i).name() + "' here");
            }
        }
        Map<String, NDArray> params = groups.parameters();
        List<String> problems = new ArrayList<>();
        st.fieldNames().forEachRemaining(n -> {
            if (!params.containsKey(n)) problems.add("step count for unknown parameter " + n);
        });
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            int slash = e.getKey().indexOf('/');
            String slot = slash < 0 ? "" : e.getKey().substring(0, slash);
            String name = e.getKey().substring(slash + 1);
            NDArray p = params.get(name);
            if (!slots.containsKey(slot)) problems.add("unknown state slot in " + e.getKey());
            else if (p == null) problems.add("state for unknown parameter " + e.getKey());
            else if (!p.getShape().equals(e.getValue().getShape())) {
                problems.add(e.getKey() + " has shape " + e.getValue().getShape() + ", the parameter " + p.getShape());
            } else if (!st.has(name)) problems.add(e.getKey() + " has no step count");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("optimizer state does not fit: "
                    + String.join("; ", problems.subList(0, Math.min(10, problems.size())))
                    + (problems.size() > 10 ? " (" + problems.size() + " problems)" : ""));
        }
        clearState();
        for (int i = 0; i < groups.size(); i++) {
            JsonNode g = gs.get(i);
            lr[i] = g.path("lr").asDouble();
            momentum[i] = g.path("momentum").asDouble();
            weightDecay[i] = g.path("weight_decay").asDouble();
        }
        st.fields().forEachRemaining(e -> steps.put(e.getKey(), e.getValue().asLong()));
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            int slash = e.getKey().indexOf('/');
            NDArray copy =
                    e.getValue().duplicate(); // a real clone: files' arrays may borrow buffers, toDevice may alias
            if (!copy.getDevice().equals(stateManager.getDevice())) {
                NDArray moved = copy.toDevice(stateManager.getDevice(), false);
                copy.close();
                copy = moved;
            }
            copy.attach(stateManager);
            slots.get(e.getKey().substring(0, slash)).put(e.getKey().substring(slash + 1), copy);
        }
    }

    private static JsonNode parse(String text, String key) {
        if (text == null) throw new IllegalArgumentException("optimizer state has no '" + key + "' entry");
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "optimizer state entry '" + key + "' is not JSON: " + e.getOriginalMessage());
        }
    }

    private void clearState() {
        for (Map<String, NDArray> m : slots.values()) {
            m.values().forEach(NDArray::close);
            m.clear();
        }
        steps.clear();
    }

    private static double requireFinite(double v, String what) {
        if (!Double.isFinite(v) || v < 0)
            throw new IllegalArgumentException(what + " must be finite and >= 0, got " + v);
        return v;
    }

    /** Frees the state; the model's tensors are not touched. */
    @Override
    public void close() {
        clearState();
        stateManager.close();
    }
}
