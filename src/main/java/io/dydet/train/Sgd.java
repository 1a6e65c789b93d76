package io.dydet.train;

import ai.djl.ndarray.NDArray;
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
