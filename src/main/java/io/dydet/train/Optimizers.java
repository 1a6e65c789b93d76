package io.dydet.train;

/**
 * Factories for the optimisers the original uses. Every group starts with the given learning rate and momentum;
 * weight decay goes only to the groups that {@linkplain ParameterGroup#decays() decay} (the original's
 * {@code add_param_group(..., weight_decay=...)}); the schedule overrides lr and momentum before each step.
 *
 * <ul>
 *   <li>step 1 default: {@code sgd(groups, lr0, momentum, schedule.weightDecay(), true)}</li>
 *   <li>step 1 {@code --adam}: {@code adam(groups, lr0, momentum, schedule.weightDecay())}</li>
 *   <li>step 2 {@code --adam}: {@code adamW(ParameterGroups.routerOnly(model), lr0, momentum, schedule.weightDecay())}</li>
 * </ul>
 * The returned optimiser owns native state: close it.
 */
public final class Optimizers {
    public static final double ADAM_BETA2 = 0.999;
    public static final double ADAM_EPS = 1e-8;

    private Optimizers() {}

    /** torch.optim.SGD(momentum, nesterov, dampening 0). */
    public static Optimizer sgd(
            ParameterGroups groups, double lr, double momentum, double weightDecay, boolean nesterov) {
        return new Sgd(groups, lr, momentum, weightDecay, nesterov);
    }

    /** torch.optim.Adam(betas=(beta1, 0.999), eps 1e-8), weight decay as L2 on the gradient. */
    public static Optimizer adam(ParameterGroups groups, double lr, double beta1, double weightDecay) {
        return new Adam(groups, lr, beta1, ADAM_BETA2, ADAM_EPS, weightDecay, false);
    }

    /** torch.optim.AdamW(betas=(beta1, 0.999), eps 1e-8), decoupled weight decay. */
    public static Optimizer adamW(ParameterGroups groups, double lr, double beta1, double weightDecay) {
        return new Adam(groups, lr, beta1, ADAM_BETA2, ADAM_EPS, weightDecay, true);
    }
}
