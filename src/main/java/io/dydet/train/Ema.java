package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exponential moving average of every floating state-dict entry (parameters and BatchNorm statistics; counters are
 * copied), updated after each optimiser step with d = decay x (1 - exp(-updates / 2000)) (spec 5.5). Decay 0
 * makes it a plain copy (step 2). It is what is validated and saved.
 */
public final class Ema implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> tensors = new LinkedHashMap<>();
    private final double decay;
    private long updates;

    public Ema(Map<String, NDArray> model, double decay, NDManager parent) {
        this.manager = parent.newSubManager();
        this.decay = decay;
        model.forEach((k, v) -> {
            NDArray c = v.duplicate();
            c.attach(manager);
            tensors.put(k, c);
        });
    }

    public long updates() {
        return updates;
    }

    public void setUpdates(long updates) {
        this.updates = updates;
    }

    /** The averaging weight of the next update. */
    public double nextDecay() {
        return decay * (1 - Math.exp(-(updates + 1) / 2000.0));
    }

    public void update(Map<String, NDArray> model) {
        double d = nextDecay();
        updates++;
        for (var e : tensors.entrySet()) {
            NDArray ema = e.getValue(), src = model.get(e.getKey());
            try (NDArray s = src.stopGradient()) {
                if (ema.getDataType() != DataType.FLOAT32 && ema.getDataType() != DataType.FLOAT64 && ema.getDataType() != DataType.FLOAT16) {
                    ema.set(s.toByteBuffer());
                } else {
                    try (NDArray part = s.mul((float) (1 - d))) {
                        ema.muli((float) d).addi(part);
                    }
                }
            }
        }
    }

    /** Replaces the averages (resume). */
    public void load(Map<String, NDArray> saved) {
        for (var e : tensors.entrySet()) {
            NDArray s = saved.get(e.getKey());
            if (s == null) throw new IllegalArgumentException("saved EMA lacks " + e.getKey());
            try (NDArray c = s.toType(e.getValue().getDataType(), true)) {
                e.getValue().set(c.toByteBuffer());
            }
        }
    }

    public Map<String, NDArray> tensors() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    @Override
    public void close() {
        manager.close();
    }
}
