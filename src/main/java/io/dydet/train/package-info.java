/**
 * Training machinery shared by both DynamicDet steps: {@link io.dydet.train.ParameterGroups} (the original's
 * optimiser groups), {@link io.dydet.train.Optimizer} via {@link io.dydet.train.Optimizers} (SGD-Nesterov, Adam,
 * AdamW with torch's semantics, in place, saveable state), {@link io.dydet.train.Schedule} (LR factor, warmup,
 * accumulation, weight-decay scaling as pure functions) and {@link io.dydet.train.Ema} (model EMA).
 *
 * <p>Per-step cost: the optimiser and the EMA issue a few small engine ops per tensor (thousands per step). Run
 * them with intra-op threads not above the free cores: on 2 busy shared cores, 2 OpenMP threads made a step of a
 * width-0.25 model take seconds instead of about 60-80 ms.
 */
package io.dydet.train;
