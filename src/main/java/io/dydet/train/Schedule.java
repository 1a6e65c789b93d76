package io.dydet.train;

import io.dydet.data.Hyperparameters;

/**
 * The original's learning-rate, momentum, accumulation and weight-decay schedule (design.md, Training step 1 and Training step 2) as pure
 * functions of the global iteration {@code ni = i + nb*epoch} and the epoch; nothing here has state.
 *
 * <ul>
 *   <li>LR factor per epoch: cosine {@code lf(e) = ((1 - cos(e*pi/E))/2)*(lrf - 1) + 1} or linear
 *       {@code lf(e) = (1 - e/(E-1))*(1 - lrf) + lrf}; after warmup {@code lr = lr0*lf(epoch)} in every group.</li>
 *   <li>Warmup over {@code nw = max(round(warmup_epochs*nb), minWarmupIterations)} iterations; for {@code ni <= nw}
 *       (numpy interp on {@code [0, nw]}): group 2 (biases) lr from {@code warmup_bias_lr} down to
 *       {@code lr0*lf(epoch)}, other groups from 0 up; SGD momentum from {@code warmup_momentum} to
 *       {@code momentum}; accumulate {@code max(1, round(interp(ni, [1, nbs/totalBatch])))}.</li>
 *   <li>After warmup accumulate is {@code max(round(nbs/totalBatch), 1)}; the effective weight decay is
 *       {@code weight_decay * totalBatch * accumulate / nbs} with that accumulate.</li>
 * </ul>
 * Rounding is Python's {@code round} (half to even: round(0.5) = 0, round(2.5) = 2).
 *
 * <pre>{@code
 * Schedule s = Schedule.of(hyp, epochs, nb, totalBatch, false);      // .withMinWarmupIterations(100) for small data
 * Optimizer opt = Optimizers.sgd(groups, hyp.lr0(), hyp.momentum(), s.weightDecay(), true);
 * long lastStep = Schedule.NO_STEP_YET;
 * for each epoch, batch i:  long ni = s.iteration(epoch, i);
 *     s.apply(opt, ni, epoch);  int accumulate = s.accumulate(ni);
 *     ... forward, backward ...
 *     if (Schedule.stepsAt(ni, lastStep, accumulate)) { opt.step(); opt.zeroGrad(); ema.update(model); lastStep = ni; }
 * }</pre>
 *
 * @param lr0 initial learning rate ({@code lr0})
 * @param lrf final learning-rate factor ({@code lrf})
 * @param momentum SGD momentum / Adam beta1 after warmup
 * @param weightDecayBase {@code weight_decay} before scaling by batch and accumulation
 * @param warmupEpochs {@code warmup_epochs}
 * @param warmupMomentum SGD momentum at {@code ni = 0}
 * @param warmupBiasLr group-2 learning rate at {@code ni = 0}
 * @param epochs total epochs {@code E}
 * @param batchesPerEpoch {@code nb}
 * @param totalBatch images per optimiser forward (all processes)
 * @param linearLr the linear factor ({@code --linear-lr}, step 2) instead of the cosine one
 * @param minWarmupIterations lower bound on {@code nw} (the original: 1000)
 * @param nominalBatch {@code nbs}, the batch the accumulation aims at (the original: 64)
 */
public record Schedule(double lr0, double lrf, double momentum, double weightDecayBase, double warmupEpochs,
        double warmupMomentum, double warmupBiasLr, int epochs, long batchesPerEpoch, int totalBatch, boolean linearLr,
        long minWarmupIterations, int nominalBatch) {

    public static final long DEFAULT_MIN_WARMUP_ITERATIONS = 1000;
    public static final int DEFAULT_NOMINAL_BATCH = 64;
    /** {@code lastStep} before the first optimiser step. */
    public static final long NO_STEP_YET = -1;

    public Schedule {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (batchesPerEpoch < 1) throw new IllegalArgumentException("batches per epoch must be >= 1, got " + batchesPerEpoch);
        if (totalBatch < 1) throw new IllegalArgumentException("total batch must be >= 1, got " + totalBatch);
        if (minWarmupIterations < 0) throw new IllegalArgumentException("minimum warmup iterations must be >= 0");
        if (nominalBatch < 1) throw new IllegalArgumentException("nominal batch must be >= 1, got " + nominalBatch);
    }

    /** The original's schedule for these hyper-parameters (1000 minimum warmup iterations, nominal batch 64). */
    public static Schedule of(Hyperparameters hyp, int epochs, long batchesPerEpoch, int totalBatch, boolean linearLr) {
        return new Schedule(hyp.lr0(), hyp.lrf(), hyp.momentum(), hyp.weightDecay(), hyp.warmupEpochs(), hyp.warmupMomentum(),
                hyp.warmupBiasLr(), epochs, batchesPerEpoch, totalBatch, linearLr, DEFAULT_MIN_WARMUP_ITERATIONS, DEFAULT_NOMINAL_BATCH);
    }

    public Schedule withMinWarmupIterations(long iterations) {
        return new Schedule(lr0, lrf, momentum, weightDecayBase, warmupEpochs, warmupMomentum, warmupBiasLr, epochs,
                batchesPerEpoch, totalBatch, linearLr, iterations, nominalBatch);
    }

    public Schedule withNominalBatch(int batch) {
        return new Schedule(lr0, lrf, momentum, weightDecayBase, warmupEpochs, warmupMomentum, warmupBiasLr, epochs,
                batchesPerEpoch, totalBatch, linearLr, minWarmupIterations, batch);
    }

    /** Global iteration {@code ni = i + nb*epoch}. */
    public long iteration(int epoch, long batch) {
        return batch + batchesPerEpoch * epoch;
    }

    /** The LambdaLR factor {@code lf(epoch)}. */
    public double lrFactor(int epoch) {
        // a one-epoch linear schedule (the original divides by zero there) stays at lr0 for its only epoch
        if (linearLr) return epochs < 2 ? 1.0 : (1 - (double) epoch / (epochs - 1)) * (1.0 - lrf) + lrf;
        return ((1 - Math.cos(epoch * Math.PI / epochs)) / 2) * (lrf - 1) + 1;
    }

    /** {@code nw}: the number of warmup iterations. */
    public long warmupIterations() {
        return Math.max(pythonRound(warmupEpochs * batchesPerEpoch), minWarmupIterations);
    }

    public boolean inWarmup(long ni) {
        return ni <= warmupIterations();
    }

    /** Batches whose gradients are summed into one step after warmup: {@code max(round(nbs/totalBatch), 1)}. */
    public int accumulateAfterWarmup() {
        return (int) Math.max(pythonRound((double) nominalBatch / totalBatch), 1);
    }

    /** The accumulation in force at iteration {@code ni}. */
    public int accumulate(long ni) {
        if (!inWarmup(ni)) return accumulateAfterWarmup();
        return (int) Math.max(1, pythonRound(interp(ni, warmupIterations(), 1, (double) nominalBatch / totalBatch)));
    }

    /** Effective weight decay for the decaying groups: {@code weight_decay * totalBatch * accumulate / nbs}. */
    public double weightDecay() {
        return weightDecayBase * ((double) totalBatch * accumulateAfterWarmup() / nominalBatch);
    }

    /**
     * Learning rate of group {@code group} at iteration {@code ni} of {@code epoch}. Group
     * {@link ParameterGroups#BIAS_GROUP} warms up from {@code warmup_bias_lr}; with fewer groups (step 2) no group does.
     */
    public double lr(int group, long ni, int epoch) {
        double target = lr0 * lrFactor(epoch);
        if (!inWarmup(ni)) return target;
        return interp(ni, warmupIterations(), group == ParameterGroups.BIAS_GROUP ? warmupBiasLr : 0.0, target);
    }

    /** SGD momentum at iteration {@code ni}. */
    public double momentum(long ni) {
        if (!inWarmup(ni)) return momentum;
        return interp(ni, warmupIterations(), warmupMomentum, momentum);
    }

    /** Sets every group's learning rate (and, for SGD, momentum) for iteration {@code ni} of {@code epoch}. */
    public void apply(Optimizer optimizer, long ni, int epoch) {
        for (int g = 0; g < optimizer.groups().size(); g++) {
            optimizer.setLr(g, lr(g, ni, epoch));
            if (optimizer.hasMomentum()) optimizer.setMomentum(g, momentum(ni));
        }
    }

    /** YOLOv7's rule: iteration {@code ni} ends with an optimiser step when {@code ni - lastStep >= accumulate}. */
    public static boolean stepsAt(long ni, long lastStep, int accumulate) {
        return ni - lastStep >= accumulate;
    }

    /** Python's {@code round(x)} for a float: to the nearest integer, halves to even. */
    public static long pythonRound(double x) {
        return (long) Math.rint(x);
    }

    /** numpy.interp(x, [0, x1], [y0, y1]) for {@code x1 > 0}, computed as numpy does. */
    static double interp(double x, double x1, double y0, double y1) {
        if (x >= x1) return y1; // numpy checks the right end first (matters only for nw = 0)
        if (x <= 0) return y0;
        double slope = (y1 - y0) / (x1 - 0);
        return slope * (x - 0) + y0;
    }
}
