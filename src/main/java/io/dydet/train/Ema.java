package io.dydet.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.dydet.engine.Engines;
import io.dydet.engine.ForeachOps;
import io.dydet.model.DynamicDetModel;
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
import java.util.Set;
import java.util.function.Predicate;

/**
 * Exponential moving average of a model's state dict (YOLOv7's ModelEMA, design.md, Training step 1): after every optimiser step
 * {@code updates += 1}, {@code d = decay*(1 - exp(-updates/tau))} and every floating entry (parameters and
 * BatchNorm running statistics) becomes {@code d*ema + (1-d)*model}. Integer entries (BatchNorm
 * {@code num_batches_tracked}) are copied, not averaged (the original leaves them as they were at the copy; they
 * do not affect the forward). Decay 0 (step 2) makes it a plain copy of the model after each step.
 *
 * <pre>{@code
 * try (Ema ema = Ema.of(model)) {               // decay 0.9999, tau 2000
 *     ... after each opt.step(): ema.update(model);
 *     DynamicDetModel eval = DynamicDetModel.fromStateDict(network, ema.tensors(), evalManager, "ema");
 *     ema.save(dir.resolve("ema.safetensors"));  // resume: Ema.load(file, device)
 * }
 * }</pre>
 *
 * The averaged tensors live in this object's own manager. Gradient mode is off during an update.
 */
public final class Ema implements AutoCloseable {
    public static final double DEFAULT_DECAY = 0.9999;
    public static final double DEFAULT_TAU = 2000;
    static final String UPDATES_KEY = "dydet.ema.updates";
    static final String DECAY_KEY = "dydet.ema.decay";
    static final String TAU_KEY = "dydet.ema.tau";

    private final NDManager manager;
    private final Map<String, NDArray> tensors;
    private final double decay;
    private final double tau;
    private long updates;

    private Ema(NDManager manager, Map<String, NDArray> tensors, double decay, double tau, long updates) {
        if (!(decay >= 0 && decay < 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + decay);
        if (!(tau > 0)) throw new IllegalArgumentException("EMA tau must be > 0, got " + tau);
        if (updates < 0) throw new IllegalArgumentException("EMA updates must be >= 0, got " + updates);
        this.manager = manager;
        this.tensors = tensors;
        this.decay = decay;
        this.tau = tau;
        this.updates = updates;
    }

    /** YOLOv7's EMA of the model as it is now: decay 0.9999, tau 2000, 0 updates. */
    public static Ema of(DynamicDetModel model) {
        return of(model, DEFAULT_DECAY, DEFAULT_TAU);
    }

    /** An EMA starting as a copy of the model's state dict. */
    public static Ema of(DynamicDetModel model, double decay, double tau) {
        return of(model.stateDict(), model.device(), decay, tau, 0);
    }

    /** An EMA over the given tensors (copied) with {@code updates} already done; for resuming from a checkpoint. */
    public static Ema of(Map<String, NDArray> tensors, Device device, double decay, double tau, long updates) {
        NDManager manager = Engine.getInstance().newBaseManager(device);
        try {
            Map<String, NDArray> copy = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                NDArray c = e.getValue().duplicate();
                if (!c.getDevice().equals(device)) {
                    NDArray moved = c.toDevice(device, false);
                    c.close();
                    c = moved;
                }
                c.attach(manager);
                c.setName(e.getKey());
                copy.put(e.getKey(), c);
            }
            return new Ema(manager, copy, decay, tau, updates);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Reads an EMA written by {@link #save}. */
    public static Ema load(Path file, Device device) throws IOException {
        try (NDManager reading = Engine.getInstance().newBaseManager(device);
                SafeTensorsFile f = SafeTensors.open(file)) {
            Map<String, String> md = f.metadata();
            Map<String, NDArray> read = new LinkedHashMap<>();
            for (TensorEntry e : f.entries()) read.put(e.name(), f.read(reading, e.name()));
            return of(read, device, number(md, DECAY_KEY, file), number(md, TAU_KEY, file), (long)
                    number(md, UPDATES_KEY, file));
        }
    }

    private static double number(Map<String, String> md, String key, Path file) {
        String v = md.get(key);
        if (v == null) throw new IllegalArgumentException(file + " is not an EMA file: no '" + key + "' metadata");
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": metadata '" + key + "' is not a number: " + v);
        }
    }

    /** The averaging weight of the next update's old value, {@code decay*(1 - exp(-updates/tau))} for updates after it. */
    public double nextDecay() {
        return decay * (1 - Math.exp(-(updates + 1) / tau));
    }

    /** One update from the model's current state dict (same names and shapes as this EMA). */
    public void update(DynamicDetModel model) {
        update(model.stateDict());
    }

    /**
     * One update in which only the tensors named in {@code changed} can have changed since the EMA began: the others
     * are left as they are, which is exact with decay 0 (a plain copy, step 2's EMA over a frozen detector) and
     * otherwise differs from averaging a constant only by rounding. Saves averaging the whole model when only the
     * router trains.
     */
    public void update(DynamicDetModel model, Set<String> changed) {
        update(model.stateDict(), changed);
    }

    /** {@link #update(DynamicDetModel, Set)} from a state dict by name. */
    public void update(Map<String, NDArray> model, Set<String> changed) {
        update(model, (Predicate<String>) changed::contains);
    }

    /** One update from a state dict by name. */
    public void update(Map<String, NDArray> model) {
        update(model, name -> true);
    }

    private void update(Map<String, NDArray> model, Predicate<String> changed) {
        if (!model.keySet().equals(tensors.keySet())) {
            throw new IllegalArgumentException("model state dict keys differ from the EMA's (" + model.size() + " vs "
                    + tensors.size() + " keys)");
        }
        updates++;
        double d = decay * (1 - Math.exp(-updates / tau));
        boolean grad = Engines.isGradEnabled();
        Engines.setGradEnabled(false);
        try (NDScope scope = new NDScope()) {
            List<NDArray> averaged = new ArrayList<>(), current = new ArrayList<>();
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                if (!changed.test(e.getKey())) continue;
                NDArray ema = e.getValue();
                NDArray now = model.get(e.getKey());
                if (!ema.getDataType().isFloating()) {
                    // counters are 0-d: a host copy is cheap
                    ema.set(now.toType(ema.getDataType(), false).toByteBuffer());
                } else {
                    averaged.add(ema);
                    current.add(now);
                }
            }
            List<NDArray> both = new ArrayList<>(averaged);
            both.addAll(current);
            if (!averaged.isEmpty() && ForeachOps.lerpAvailable(both)) {
                // ema + (1 - d) * (model - ema) for every tensor in one call: torch's v * d + (1 - d) * m up to
                // rounding, and exactly the model's values with d = 0
                NDArray weight = averaged.get(0).getManager().create((float) (1 - d));
                ForeachOps.lerpInPlace(averaged, current, weight);
            } else {
                for (int i = 0; i < averaged.size(); i++) {
                    // torch: v *= d; v += (1 - d) * msd[k]; the temporary belongs to the scope
                    averaged.get(i).muli((float) d).addi(current.get(i).mul((float) (1 - d)));
                }
            }
        } finally {
            Engines.setGradEnabled(grad);
        }
    }

    public long updates() {
        return updates;
    }

    public double decay() {
        return decay;
    }

    public double tau() {
        return tau;
    }

    /** The averaged state dict by name, in state-dict order; owned by this EMA (read-only view). */
    public Map<String, NDArray> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /** Writes the tensors and the update count (with decay and tau) to one safetensors file, atomically. */
    public void save(Path file) throws IOException {
        Map<String, String> md = new LinkedHashMap<>();
        md.put(UPDATES_KEY, Long.toString(updates));
        md.put(DECAY_KEY, Double.toString(decay));
        md.put(TAU_KEY, Double.toString(tau));
        SafeTensors.write(file, tensors, md);
    }

    @Override
    public void close() {
        manager.close();
    }
}
