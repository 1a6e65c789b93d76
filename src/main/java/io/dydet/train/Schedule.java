package io.dydet.train;

import io.dydet.data.Hyperparameters;

/**
 * Learning rate, momentum, accumulation and weight decay as pure functions of the iteration (spec 5.2, 5.4): a
 * per-epoch factor lf (cosine from 1 to lrf, or linear), a warmup over max(round(warmup_epochs x batches), minimum)
 * iterations in which the bias group's rate falls from warmup_bias_lr while the others rise from 0, momentum rises
 * from warmup_momentum, and gradient accumulation grows to the nominal batch.
 */
public record Schedule(Hyperparameters hyp, int epochs, int batchesPerEpoch, int batchSize, boolean linear, int minWarmupIterations,
                       int nominalBatch) {
    public Schedule {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (batchesPerEpoch < 1) throw new IllegalArgumentException("no batches per epoch");
    }

    /** The original's defaults: at least 1000 warmup iterations, nominal batch 64. */
    public static Schedule original(Hyperparameters hyp, int epochs, int batchesPerEpoch, int batchSize, boolean linear) {
        return new Schedule(hyp, epochs, batchesPerEpoch, batchSize, linear, 1000, 64);
    }

    /** Python's round (half to even), as the original's arithmetic uses it. */
    static long round(double v) {
        return (long) Math.rint(v);
    }

    public long warmupIterations() {
        return Math.max(round(hyp.warmupEpochs() * batchesPerEpoch), minWarmupIterations);
    }

    /** The epoch factor on lr0. */
    public double lf(int epoch) {
        if (linear) return (1 - (double) epoch / Math.max(epochs - 1, 1)) * (1.0 - hyp.lrf()) + hyp.lrf();
        return ((1 - Math.cos(epoch * Math.PI / epochs)) / 2) * (hyp.lrf() - 1) + 1;
    }

    /** Batches whose gradients are summed before one optimiser step. */
    public int accumulate(long iteration) {
        double target = (double) nominalBatch / batchSize;
        long nw = warmupIterations();
        if (iteration <= nw) return (int) Math.max(1, round(interp(iteration, nw, 1, target)));
        return (int) Math.max(round(target), 1);
    }

    /** Weight decay of the decaying group, scaled to the nominal batch. */
    public double weightDecay() {
        return hyp.weightDecay() * batchSize * Math.max(round((double) nominalBatch / batchSize), 1) / nominalBatch;
    }

    /** A group's learning rate at a global iteration of an epoch. */
    public double lr(boolean biasGroup, long iteration, int epoch) {
        double target = hyp.lr0() * lf(epoch);
        long nw = warmupIterations();
        if (iteration > nw) return target;
        return interp(iteration, nw, biasGroup ? hyp.warmupBiasLr() : 0.0, target);
    }

    /** SGD momentum at a global iteration (Adam keeps hyp momentum as beta1). */
    public double momentum(long iteration) {
        long nw = warmupIterations();
        if (iteration > nw) return hyp.momentum();
        return interp(iteration, nw, hyp.warmupMomentum(), hyp.momentum());
    }

    private static double interp(long x, long x1, double y0, double y1) {
        if (x1 <= 0) return y1;
        double t = Math.min(Math.max((double) x / x1, 0), 1);
        return y0 + (y1 - y0) * t;
    }
}
