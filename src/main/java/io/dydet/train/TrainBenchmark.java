package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.data.Hyperparameters;
import io.dydet.engine.Engines;
import io.dydet.engine.OperatorProfiler;
import io.dydet.engine.ProcessMemory;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.Precision;
import io.dydet.model.Section;
import io.dydet.model.TrainOutput;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Speed of a step-1 training step (forward of both routes in training mode, OTA loss of both heads, backward,
 * SGD step, EMA update) on a fixed synthetic batch: noise images with 8 random boxes each. Data loading is not
 * included (it runs on worker threads beside the engine).
 */
public final class TrainBenchmark {
    /** Median, min and max seconds per step and the resulting images per second. */
    public record Result(int batch, int imageSize, Step step, Phases phases, long peakResidentBytes) {
        /** Whole training steps' seconds. */
        public record Step(double medianSeconds, double minSeconds, double maxSeconds) {}

        /** Median seconds of each phase of a step. */
        public record Phases(
                double forwardSeconds, double lossSeconds, double backwardSeconds, double optimizerSeconds) {}

        public double medianSeconds() {
            return step.medianSeconds();
        }

        public double minSeconds() {
            return step.minSeconds();
        }

        public double maxSeconds() {
            return step.maxSeconds();
        }

        public double forwardSeconds() {
            return phases.forwardSeconds();
        }

        public double lossSeconds() {
            return phases.lossSeconds();
        }

        public double backwardSeconds() {
            return phases.backwardSeconds();
        }

        public double optimizerSeconds() {
            return phases.optimizerSeconds();
        }

        public double imagesPerSecond() {
            return batch / medianSeconds();
        }
    }

    /**
     * What to time.
     *
     * @param profileTrace when not null, libtorch's operator profiler records the last timed step into this Chrome
     *     trace (see {@link OperatorProfile})
     */
    public record Settings(
            TrainingStep step, int batch, int imageSize, int warmup, int runs, Precision precision, Path profileTrace) {
        public Settings {
            if (batch < 1 || imageSize < 1 || warmup < 0 || runs < 1)
                throw new IllegalArgumentException("batch, image size and runs must be >= 1 and warm-up >= 0");
            Objects.requireNonNull(precision, "precision");
            if (step != TrainingStep.DETECTOR && step != TrainingStep.ROUTER)
                throw new IllegalArgumentException(
                        "the benchmark times step 1 (detector) or step 2 (router), not " + step);
        }
    }

    private TrainBenchmark() {}

    public static Result run(DynamicDetModel model, Settings settings, IntConsumer progress) {
        TrainingPrecision.require(settings.precision(), model.device());
        int batch = settings.batch(), imageSize = settings.imageSize();
        int warmup = settings.warmup(), runs = settings.runs();
        float[][] targets = syntheticTargets(batch, model.network().classes());
        boolean router = settings.step() == TrainingStep.ROUTER;
        if (router && !model.network().isDynamic())
            throw new IllegalArgumentException(
                    "step 2 trains the router: use a model with one (e.g. dy-yolov7, not -step1)");
        Hyperparameters hyp = (router ? Hyperparameters.builtIn("finetune-dynamic") : Hyperparameters.scratchP5())
                .scaledForTraining(
                        model.network().detect(Section.D2).levels(),
                        model.network().classes(),
                        imageSize);
        ParameterGroups groups = router ? ParameterGroups.routerOnly(model) : ParameterGroups.of(model);
        groups.requireGradients(model);
        Precision precision = settings.precision();
        Function<NDArray, TrainOutput> forward;
        Function<TrainOutput, NDArray> lossOf;
        if (router) {
            RouterLoss loss = new RouterLoss(model, hyp);
            forward = x -> model.forwardFrozen(x, precision);
            lossOf = out -> loss.compute(out, targets, imageSize).total();
        } else {
            CascadeLoss loss = new CascadeLoss(model, hyp);
            forward = x -> model.forwardTrain(x, precision);
            lossOf = out -> loss.compute(out, targets, imageSize).total();
        }
        double[] seconds = new double[runs];
        double[][] phases = new double[4][runs];
        try (NDManager root = model.manager().newSubManager();
                Optimizer opt = router
                        ? Optimizers.adamW(groups, hyp.lr0(), hyp.momentum(), 0)
                        : Optimizers.sgd(groups, 0.001, 0.937, 0.0005, true);
                Ema ema = router ? Ema.of(model, 0, Ema.DEFAULT_TAU) : Ema.of(model)) {
            NDArray input = root.randomUniform(0, 1, new Shape(batch, 3, imageSize, imageSize));
            for (int i = 0; i < warmup + runs; i++) {
                boolean profiled = settings.profileTrace() != null && i == warmup + runs - 1;
                OperatorProfiler profiler = profiled ? OperatorProfiler.start(settings.profileTrace()) : null;
                long t0 = System.nanoTime();
                boolean grad = Engines.isGradEnabled();
                Engines.setGradEnabled(true);
                long t1, t2, t3;
                try (NDManager step = root.newSubManager()) {
                    NDArray x = input.duplicate();
                    x.attach(step);
                    TrainOutput out = forward.apply(x);
                    t1 = System.nanoTime();
                    NDArray total = lossOf.apply(out);
                    t2 = System.nanoTime();
                    Engines.backward(total);
                    t3 = System.nanoTime();
                } finally {
                    Engines.setGradEnabled(grad);
                }
                opt.step();
                opt.zeroGrad();
                settings.step().updateEma(ema, model, groups);
                long t4 = System.nanoTime();
                if (profiler != null) profiler.close();
                if (i >= warmup) {
                    seconds[i - warmup] = (t4 - t0) / 1e9;
                    phases[0][i - warmup] = (t1 - t0) / 1e9;
                    phases[1][i - warmup] = (t2 - t1) / 1e9;
                    phases[2][i - warmup] = (t3 - t2) / 1e9;
                    phases[3][i - warmup] = (t4 - t3) / 1e9;
                }
                if (progress != null) progress.accept(i + 1);
            }
        }
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        return new Result(
                batch,
                imageSize,
                new Result.Step(median(seconds), sorted[0], sorted[sorted.length - 1]),
                new Result.Phases(median(phases[0]), median(phases[1]), median(phases[2]), median(phases[3])),
                ProcessMemory.peakResidentBytes());
    }

    /** Noise images' targets: 8 boxes of 5-45% of the side per image, seeded, as bench/original_train_step.py. */
    static float[][] syntheticTargets(int batch, int classes) {
        Random rng = new Random(0);
        float[][] targets = new float[batch * 8][];
        for (int i = 0; i < targets.length; i++) {
            float w = 0.05f + 0.4f * rng.nextFloat(), h = 0.05f + 0.4f * rng.nextFloat();
            targets[i] = new float[] {
                i / 8, rng.nextInt(classes), w / 2 + (1 - w) * rng.nextFloat(), h / 2 + (1 - h) * rng.nextFloat(), w, h
            };
        }
        return targets;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
