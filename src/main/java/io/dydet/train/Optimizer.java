package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PyTorch's SGD (momentum, Nesterov, dampening 0), Adam (L2 decay added to the gradient) and AdamW (decoupled decay),
 * over parameter groups whose learning rate, momentum and weight decay the schedule sets before each step. Updates
 * run in place on the engine. DJL's own optimisers lack Nesterov and per-group settings, hence this class.
 */
public final class Optimizer implements AutoCloseable {
    public enum Kind { SGD, ADAM, ADAMW }

    static final double BETA2 = 0.999;
    static final double EPS = 1e-8;

    private final Kind kind;
    private final List<ParameterGroups.Group> groups;
    private final double[] lr, weightDecay;
    private double momentum;
    private final NDManager stateManager;
    private final Map<String, NDArray> buffers = new LinkedHashMap<>(); // momentum / exp_avg
    private final Map<String, NDArray> squares = new LinkedHashMap<>(); // exp_avg_sq
    private long steps;

    public Optimizer(Kind kind, List<ParameterGroups.Group> groups, double momentum, NDManager parent) {
        this.kind = kind;
        this.groups = List.copyOf(groups);
        this.lr = new double[groups.size()];
        this.weightDecay = new double[groups.size()];
        this.momentum = momentum;
        this.stateManager = parent.newSubManager();
    }

    public Kind kind() {
        return kind;
    }

    public int groupCount() {
        return groups.size();
    }

    public List<ParameterGroups.Group> groups() {
        return groups;
    }

    public void setLr(int group, double value) {
        lr[group] = value;
    }

    public double lr(int group) {
        return lr[group];
    }

    /** SGD momentum, or Adam's beta1. */
    public void setMomentum(double value) {
        momentum = value;
    }

    /** Applies to groups that decay; others keep 0. */
    public void setWeightDecay(double value) {
        for (int g = 0; g < groups.size(); g++) weightDecay[g] = groups.get(g).decay() ? value : 0;
    }

    public long steps() {
        return steps;
    }

    /** One update of every parameter that has a gradient. */
    public void step() {
        steps++;
        boolean grad = Engines.isGradEnabled();
        Engines.setGradEnabled(false); // in-place updates of leaves that require gradients
        try {
            update();
        } finally {
            Engines.setGradEnabled(grad);
        }
    }

    private void update() {
        for (int g = 0; g < groups.size(); g++) {
            for (var e : groups.get(g).params().entrySet()) {
                NDArray p = e.getValue();
                if (!p.hasGradient()) continue;
                try (NDArray grad = p.getGradient()) {
                    switch (kind) {
                        case SGD -> sgd(e.getKey(), p, grad, lr[g], weightDecay[g]);
                        case ADAM, ADAMW -> adam(e.getKey(), p, grad, lr[g], weightDecay[g], kind == Kind.ADAMW);
                    }
                }
            }
        }
    }

    private void sgd(String name, NDArray p, NDArray grad, double lr, double wd) {
        try (NDArray d = wd != 0 ? grad.add(p.mul((float) wd)) : grad.duplicate()) {
            NDArray buf = buffers.get(name);
            if (buf == null) {
                buf = d.duplicate();
                buf.attach(stateManager);
                buffers.put(name, buf);
            } else {
                buf.muli((float) momentum).addi(d);
            }
            try (NDArray step = d.add(buf.mul((float) momentum))) {
                p.subi(step.muli((float) lr));
            }
        }
    }

    private void adam(String name, NDArray p, NDArray grad, double lr, double wd, boolean decoupled) {
        double beta1 = momentum;
        if (decoupled && wd != 0) p.muli((float) (1 - lr * wd));
        try (NDArray g = !decoupled && wd != 0 ? grad.add(p.mul((float) wd)) : grad.duplicate()) {
            NDArray m = buffers.computeIfAbsent(name, k -> attached(g.zerosLike()));
            NDArray v = squares.computeIfAbsent(name, k -> attached(g.zerosLike()));
            try (NDArray gm = g.mul((float) (1 - beta1)); NDArray g2 = g.square().muli((float) (1 - BETA2))) {
                m.muli((float) beta1).addi(gm);
                v.muli((float) BETA2).addi(g2);
            }
            double bc1 = 1 - Math.pow(beta1, steps), bc2 = 1 - Math.pow(BETA2, steps);
            try (NDArray denom = v.sqrt().divi((float) Math.sqrt(bc2)).addi((float) EPS); NDArray update = m.div(denom)) {
                p.subi(update.muli((float) (lr / bc1)));
            }
        }
    }

    private NDArray attached(NDArray a) {
        a.attach(stateManager);
        return a;
    }

    /** Zeroes every parameter's gradient. */
    public void zeroGrad() {
        for (NDArray p : ParameterGroups.all(groups)) if (p.hasGradient()) Engines.zeroGrad(p);
    }

    /** The state to checkpoint: buffers by "momentum/" or "exp_avg/" and "exp_avg_sq/" plus the step count. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        buffers.forEach((k, v) -> out.put((kind == Kind.SGD ? "momentum/" : "exp_avg/") + k, v));
        squares.forEach((k, v) -> out.put("exp_avg_sq/" + k, v));
        out.put("steps", stateManager.create(new long[] {steps}));
        return out;
    }

    /** Restores {@link #state()}; unknown names are errors. */
    public void load(Map<String, NDArray> state) {
        buffers.clear();
        squares.clear();
        for (var e : state.entrySet()) {
            String k = e.getKey();
            NDArray v = e.getValue().duplicate();
            v.attach(stateManager);
            if (k.equals("steps")) steps = v.getLong(0);
            else if (k.startsWith("momentum/") || k.startsWith("exp_avg/")) buffers.put(k.substring(k.indexOf('/') + 1), v);
            else if (k.startsWith("exp_avg_sq/")) squares.put(k.substring(k.indexOf('/') + 1), v);
            else throw new IllegalArgumentException("unknown optimiser state '" + k + "'");
        }
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
