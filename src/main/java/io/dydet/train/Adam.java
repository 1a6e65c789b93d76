package io.dydet.train;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * torch.optim.Adam (L2 decay added to the gradient) or, {@code decoupled}, torch.optim.AdamW ({@code p *= 1 - lr*wd}
 * first, the gradient untouched); amsgrad off. Betas are (the group's momentum, 0.999) as in the original.
 * <pre>
 * m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g*g
 * p -= lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)
 * </pre>
 */
final class Adam extends Optimizer {
    static final String EXP_AVG = "exp_avg";
    static final String EXP_AVG_SQ = "exp_avg_sq";
    private final double beta2;
    private final double eps;
    private final boolean decoupled;

    Adam(
            ParameterGroups groups,
            double lr,
            double beta1,
            double beta2,
            double eps,
            double weightDecay,
            boolean decoupled) {
        super(groups, lr, beta1, weightDecay);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        this.beta2 = beta2;
        this.eps = eps;
        this.decoupled = decoupled;
    }

    @Override
    public String kind() {
        return decoupled ? "adamw" : "adam";
    }

    @Override
    List<String> slotNames() {
        return List.of(EXP_AVG, EXP_AVG_SQ);
    }

    @Override
    public boolean hasMomentum() {
        return false;
    }

    @Override
    void update(int group, String name, NDArray param, NDArray grad, long step) {
        double lr = lr(group);
        double wd = weightDecay(group);
        double beta1 = momentum(group);
        NDArray g = grad;
        if (wd != 0) {
            if (decoupled) param.muli((float) (1 - lr * wd));
            else g = grad.add(param.mul((float) wd));
        }
        NDArray m = state(EXP_AVG, name);
        NDArray v = state(EXP_AVG_SQ, name);
        if (m == null) {
            m = createState(EXP_AVG, name, param.zerosLike());
            v = createState(EXP_AVG_SQ, name, param.zerosLike());
        }
        m.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
        v.muli((float) beta2).addi(g.mul(g).muli((float) (1 - beta2)));
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        NDArray denom = v.sqrt().divi((float) Math.sqrt(biasCorrection2)).addi((float) eps);
        param.subi(m.div(denom).muli((float) stepSize));
    }
}
