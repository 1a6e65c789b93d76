package io.dydet.train;

import ai.djl.ndarray.NDArray;
import io.dydet.engine.ForeachOps;
import java.util.ArrayList;
import java.util.List;

/**
 * torch.optim.SGD with dampening 0: {@code d = grad + wd*p}; momentum buffer {@code buf = d} on the first step,
 * then {@code buf = momentum*buf + d}; Nesterov {@code d = d + momentum*buf}, else {@code d = buf};
 * {@code p -= lr*d}. Momentum 0 uses no buffer.
 */
final class Sgd extends Optimizer {
    static final String BUFFER = "momentum_buffer";
    private final boolean nesterov;

    Sgd(ParameterGroups groups, double lr, double momentum, double weightDecay, boolean nesterov) {
        super(groups, lr, momentum, weightDecay);
        if (nesterov && momentum <= 0) throw new IllegalArgumentException("Nesterov momentum requires a momentum > 0");
        this.nesterov = nesterov;
    }

    @Override
    public String kind() {
        return nesterov ? "sgd-nesterov" : "sgd";
    }

    @Override
    List<String> slotNames() {
        return List.of(BUFFER);
    }

    @Override
    public boolean hasMomentum() {
        return true;
    }

    /** libtorch's fused SGD over the whole group where the engine has it (one pass per tensor instead of eight). */
    @Override
    void updateGroup(int group, List<String> names, List<NDArray> params, List<NDArray> grads, long[] steps) {
        List<NDArray> all = new ArrayList<>(params);
        all.addAll(grads);
        if (!ForeachOps.fusedSgdAvailable(all)) {
            super.updateGroup(group, names, params, grads, steps);
            return;
        }
        float m = (float) momentum(group);
        // a parameter's first step sets its buffer to d, later ones decay it: one call for each kind
        for (boolean first : new boolean[] {true, false}) {
            List<NDArray> p = new ArrayList<>(), g = new ArrayList<>(), b = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                if ((steps[i] == 1) != first) continue;
                p.add(params.get(i));
                g.add(grads.get(i));
                if (m == 0) continue;
                NDArray buf = state(BUFFER, names.get(i));
                b.add(
                        buf != null
                                ? buf
                                : createState(
                                        BUFFER, names.get(i), params.get(i).zerosLike()));
            }
            // float32 factors, as the per-tensor path's scalars
            ForeachOps.fusedSgd(p, g, b, (float) weightDecay(group), m, (float) lr(group), nesterov, first && m != 0);
        }
    }

    @Override
    void update(int group, String name, NDArray param, NDArray grad, long step) {
        float wd = (float) weightDecay(group);
        float m = (float) momentum(group);
        // never modify grad itself: a new array whenever the gradient is combined with something
        NDArray d = wd != 0 ? grad.add(param.mul(wd)) : grad;
        if (m != 0) {
            NDArray buf = state(BUFFER, name);
            if (buf == null) {
                buf = createState(BUFFER, name, d.duplicate());
            } else {
                buf.muli(m).addi(d);
            }
            d = nesterov ? d.add(buf.mul(m)) : buf;
        }
        param.subi(d.mul((float) lr(group)));
    }
}
