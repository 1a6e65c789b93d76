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
 * <ul>
 * <li>lr0: initial learning rate ({@code lr0})
 * <li>lrf: final learning-rate factor ({@code lrf})
 * <li>momentum: SGD momentum / Adam beta1 after warmup
 * <li>weightDecayBase: {@code weight_decay} before scaling by batch and accumulation
 * <li>warmupEpochs: {@code warmup_epochs}
 * <li>warmupMomentum: SGD momentum at {@code ni = 0}
 * <li>warmupBiasLr: group-2 learning rate at {@code ni = 0}
 * <li>epochs: total epochs {@code E}
 * <li>batchesPerEpoch: {@code nb}
 * <li>totalBatch: images per optimiser forward (all processes)
 * <li>linearLr: the linear factor ({@code --linear-lr}, step 2) instead of the cosine one
 * <li>minWarmupIterations: lower bound on {@code nw} (the original: 1000)
 * <li>nominalBatch: {@code nbs}, the batch the accumulation aims at (the original: 64)
 * </ul>
 */
public final class Schedule {
    private final double lr0;
    private final double lrf;
    private final double momentum;
    private final double weightDecayBase;
    private final double warmupEpochs;
    private final double warmupMomentum;
    private final double warmupBiasLr;
    private final int epochs;
    private final long batchesPerEpoch;
    private final int totalBatch;
    private final boolean linearLr;
    private final long minWarmupIterations;
    private final int nominalBatch;

    public static final long DEFAULT_MIN_WARMUP_ITERATIONS = 1000;
    public static final int DEFAULT_NOMINAL_BATCH = 64;
    /** {@code lastStep} before the first optimiser step. */
    public static final long NO_STEP_YET = -1;

    private Schedule(Builder b) {
        this.lr0 = b.lr0;
        this.lrf = b.lrf;
        this.momentum = b.momentum;
        this.weightDecayBase = b.weightDecayBase;
        this.warmupEpochs = b.warmupEpochs;
        this.warmupMomentum = b.warmupMomentum;
        this.warmupBiasLr = b.warmupBiasLr;
        this.epochs = b.epochs;
        this.batchesPerEpoch = b.batchesPerEpoch;
        this.totalBatch = b.totalBatch;
        this.linearLr = b.linearLr;
        this.minWarmupIterations = b.minWarmupIterations;
        this.nominalBatch = b.nominalBatch;
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (batchesPerEpoch < 1)
            throw new IllegalArgumentException("batches per epoch must be >= 1, got " + batchesPerEpoch);
        if (totalBatch < 1) throw new IllegalArgumentException("total batch must be >= 1, got " + totalBatch);
        if (minWarmupIterations < 0) throw new IllegalArgumentException("minimum warmup iterations must be >= 0");
        if (nominalBatch < 1) throw new IllegalArgumentException("nominal batch must be >= 1, got " + nominalBatch);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values, for a copy that differs in a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.lr0 = lr0;
        b.lrf = lrf;
        b.momentum = momentum;
        b.weightDecayBase = weightDecayBase;
        b.warmupEpochs = warmupEpochs;
        b.warmupMomentum = warmupMomentum;
        b.warmupBiasLr = warmupBiasLr;
        b.epochs = epochs;
        b.batchesPerEpoch = batchesPerEpoch;
        b.totalBatch = totalBatch;
        b.linearLr = linearLr;
        b.minWarmupIterations = minWarmupIterations;
        b.nominalBatch = nominalBatch;
        return b;
    }

    public double lr0() {
        return lr0;
    }

    public double lrf() {
        return lrf;
    }

    public double momentum() {
        return momentum;
    }

    public double weightDecayBase() {
        return weightDecayBase;
    }

    public double warmupEpochs() {
        return warmupEpochs;
    }

    public double warmupMomentum() {
        return warmupMomentum;
    }

    public double warmupBiasLr() {
        return warmupBiasLr;
    }

    public int epochs() {
        return epochs;
    }

    public long batchesPerEpoch() {
        return batchesPerEpoch;
    }

    public int totalBatch() {
        return totalBatch;
    }

    public boolean linearLr() {
        return linearLr;
    }

    public long minWarmupIterations() {
        return minWarmupIterations;
    }

    public int nominalBatch() {
        return nominalBatch;
    }

    /** The original's schedule for these hyper-parameters (1000 minimum warmup iterations, nominal batch 64). */
    public static Schedule of(Hyperparameters hyp, int epochs, long batchesPerEpoch, int totalBatch, boolean linearLr) {
        return Schedule.builder()
                .lr0(hyp.lr0())
                .lrf(hyp.lrf())
                .momentum(hyp.momentum())
                .weightDecayBase(hyp.weightDecay())
                .warmupEpochs(hyp.warmupEpochs())
                .warmupMomentum(hyp.warmupMomentum())
                .warmupBiasLr(hyp.warmupBiasLr())
                .epochs(epochs)
                .batchesPerEpoch(batchesPerEpoch)
                .totalBatch(totalBatch)
                .linearLr(linearLr)
                .build();
    }

    public Schedule withMinWarmupIterations(long iterations) {
        return toBuilder().minWarmupIterations(iterations).build();
    }

    public Schedule withNominalBatch(int batch) {
        return toBuilder().nominalBatch(batch).build();
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

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Schedule x)) return false;
        return Double.compare(lr0, x.lr0) == 0
                && Double.compare(lrf, x.lrf) == 0
                && Double.compare(momentum, x.momentum) == 0
                && Double.compare(weightDecayBase, x.weightDecayBase) == 0
                && Double.compare(warmupEpochs, x.warmupEpochs) == 0
                && Double.compare(warmupMomentum, x.warmupMomentum) == 0
                && Double.compare(warmupBiasLr, x.warmupBiasLr) == 0
                && epochs == x.epochs
                && batchesPerEpoch == x.batchesPerEpoch
                && totalBatch == x.totalBatch
                && linearLr == x.linearLr
                && minWarmupIterations == x.minWarmupIterations
                && nominalBatch == x.nominalBatch;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                lr0,
                lrf,
                momentum,
                weightDecayBase,
                warmupEpochs,
                warmupMomentum,
                warmupBiasLr,
                epochs,
                batchesPerEpoch,
                totalBatch,
                linearLr,
                minWarmupIterations,
                nominalBatch);
    }

    /** As a record's: {@code Schedule[a=1, b=2]}. */
    @Override
    public String toString() {
        return "Schedule[lr0=" + lr0 + ", lrf=" + lrf + ", momentum=" + momentum + ", weightDecayBase="
                + weightDecayBase + ", warmupEpochs=" + warmupEpochs + ", warmupMomentum=" + warmupMomentum
                + ", warmupBiasLr=" + warmupBiasLr + ", epochs=" + epochs + ", batchesPerEpoch=" + batchesPerEpoch
                + ", totalBatch=" + totalBatch + ", linearLr=" + linearLr + ", minWarmupIterations="
                + minWarmupIterations + ", nominalBatch=" + nominalBatch + "]";
    }

    public static final class Builder {
        private double lr0;
        private double lrf;
        private double momentum;
        private double weightDecayBase;
        private double warmupEpochs;
        private double warmupMomentum;
        private double warmupBiasLr;
        private int epochs;
        private long batchesPerEpoch;
        private int totalBatch;
        private boolean linearLr;
        private long minWarmupIterations = DEFAULT_MIN_WARMUP_ITERATIONS;
        private int nominalBatch = DEFAULT_NOMINAL_BATCH;

        Builder() {}

        public Builder lr0(double v) {
            lr0 = v;
            return this;
        }

        public Builder lrf(double v) {
            lrf = v;
            return this;
        }

        public Builder momentum(double v) {
            momentum = v;
            return this;
        }

        public Builder weightDecayBase(double v) {
            weightDecayBase = v;
            return this;
        }

        public Builder warmupEpochs(double v) {
            warmupEpochs = v;
            return this;
        }

        public Builder warmupMomentum(double v) {
            warmupMomentum = v;
            return this;
        }

        public Builder warmupBiasLr(double v) {
            warmupBiasLr = v;
            return this;
        }

        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        public Builder batchesPerEpoch(long v) {
            batchesPerEpoch = v;
            return this;
        }

        public Builder totalBatch(int v) {
            totalBatch = v;
            return this;
        }

        public Builder linearLr(boolean v) {
            linearLr = v;
            return this;
        }

        public Builder minWarmupIterations(long v) {
            minWarmupIterations = v;
            return this;
        }

        public Builder nominalBatch(int v) {
            nominalBatch = v;
            return this;
        }

        public Schedule build() {
            return new Schedule(this);
        }
    }
}
