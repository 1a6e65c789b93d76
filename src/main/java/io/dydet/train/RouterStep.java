package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.data.DataConfig;
import io.dydet.data.Difficulty;
import io.dydet.data.Hyperparameters;
import io.dydet.data.train.LabelledImage;
import io.dydet.data.train.TrainBatch;
import io.dydet.data.train.TrainingSet;
import io.dydet.eval.Auc;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.model.TrainOutput;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Step 2: the detector frozen, only the router trains, on the exit criterion's target for each image's easiness score. */
final class RouterStep implements TrainingStep {
    @Override
    public String id() {
        return "router";
    }

    @Override
    public Defaults defaults() {
        return new Defaults("finetune-dynamic", 2, 1, true, true, false);
    }

    @Override
    public String trainedBy() {
        return "train-router";
    }

    @Override
    public ModelSpec spec(TrainArgs args) throws IOException {
        if (args.weights() == null) throw new IllegalArgumentException("train-router needs --weights (a step-1 model)");
        return RouterSpecs.withRouter(ModelFiles.describedSpec(Path.of(args.weights())));
    }

    /** The held-out 'router' split when the data set has one (see DataConfig), else the train split as the original. */
    @Override
    public TrainingSet trainingSet(DataConfig data, TrainArgs args, TrainListener listener) throws IOException {
        boolean heldOut = data.hasRouterSplit();
        TrainingSet set = TrainingSet.open(
                data.routerImages(),
                data.nc(),
                args.cacheDir() == null ? null : Path.of(args.cacheDir()),
                data.file() + (heldOut ? " (router)" : " (train)"));
        if (heldOut)
            listener.message("step 2 trains the router on the held-out 'router' split of " + data.file() + " ("
                    + set.size() + " images, none of them step 1's)");
        return set;
    }

    @Override
    public void initialise(Trainer trainer) throws IOException {
        WeightTransfer.Report r = trainer.transferInitialWeights(true);
        if (r != null && r.notInFile().stream().anyMatch(n -> n.startsWith("router."))) {
            trainer.listener().message("the file has no router: a freshly initialised router is trained");
        }
    }

    @Override
    public ParameterGroups parameterGroups(DynamicDetModel model) {
        return ParameterGroups.routerOnly(model);
    }

    /** The original keeps no average of the router: the EMA is the model. */
    @Override
    public double emaDecay() {
        return 0.0;
    }

    /** Only the router's parameters change (the detector runs frozen, BatchNorm on running statistics). */
    @Override
    public void updateEma(Ema ema, DynamicDetModel model, ParameterGroups groups) {
        ema.update(model, groups.parameters().keySet());
    }

    /** AdamW or SGD, as the original's step 2. */
    @Override
    public Optimizer optimizer(ParameterGroups groups, Hyperparameters hyp, boolean adam) {
        return adam
                ? Optimizers.adamW(groups, hyp.lr0(), hyp.momentum(), 0)
                : Optimizers.sgd(groups, hyp.lr0(), hyp.momentum(), 0, true);
    }

    @Override
    public Schedule schedule(Hyperparameters hyp, TrainArgs args, long batchesPerEpoch) {
        return Schedule.of(hyp, args.epochs(), batchesPerEpoch, args.batch(), true)
                // warmup counts images (the original runs batch 1), so batch B warms up over the same images
                .withMinWarmupIterations((args.minWarmup() + args.batch() - 1) / args.batch())
                .withNominalBatch(args.nominalBatch());
    }

    @Override
    public float validationThreshold(TrainArgs args) {
        return (float) args.dynamicThreshold();
    }

    @Override
    public StepLoss loss(Trainer trainer, Hyperparameters scaled) throws IOException {
        Path known = trainer.data().difficultyFile();
        return new Loss(
                trainer, new RouterLoss(trainer.model(), scaled), known != null ? Difficulty.read(known) : Map.of());
    }

    @Override
    public String toString() {
        return id();
    }

    /** The exit criterion's loss and the epoch's ranking of images by easiness score against their benefit from route 2. */
    private static final class Loss implements StepLoss {
        private final Trainer trainer;
        private final RouterLoss routerLoss;
        /** Known difficulty per image name (the data set's 'difficulty' CSV), empty when unknown. */
        private final Map<String, Boolean> difficulty;
        /** (benefit from route 2: loss gap L1 - L2 or AP contribution; easiness score; 1 if known hard / 0 if known easy / NaN) per image of the epoch in progress. */
        private final List<double[]> epochGaps = new ArrayList<>();
        /** Each training image's measured benefit from route 2 (null: the original's loss criterion). */
        private ApCriterion apCriterion;

        Loss(Trainer trainer, RouterLoss routerLoss, Map<String, Boolean> difficulty) {
            this.trainer = trainer;
            this.routerLoss = routerLoss;
            this.difficulty = difficulty;
        }

        @Override
        public void beforeEpochs() throws IOException {
            TrainArgs args = trainer.args();
            if (!args.apCriterion()) return;
            apCriterion = ApCriterion.measure(
                    trainer.model(),
                    trainer.trainSet().images().stream()
                            .map(LabelledImage::image)
                            .toList(),
                    trainer.classNames(),
                    args.img(),
                    args.valBatch(),
                    trainer.listener()::validating);
            trainer.listener().message(apCriterion.toString());
        }

        @Override
        public Map<String, Double> step(NDArray x, TrainBatch b) {
            Map<String, Double> items = new LinkedHashMap<>();
            if (apCriterion != null) {
                ApCriterion.Result r = apCriterion.compute(trainer.model().routerScores(x), b.paths());
                if (!Float.isFinite(r.total().getFloat(0)))
                    throw new IllegalStateException(
                            trainer.nonFinite(b, r.total().getFloat(0)));
                io.dydet.engine.Engines.backward(r.total());
                routerItems(
                        items,
                        b,
                        "benefit",
                        r.images().stream()
                                .mapToDouble(ApCriterion.ImageLoss::benefit)
                                .toArray(),
                        r.images().stream()
                                .mapToDouble(ApCriterion.ImageLoss::score)
                                .toArray(),
                        apCriterion.offset(),
                        r.total().getFloat(0));
            } else {
                TrainOutput out =
                        trainer.model().forwardFrozen(x, trainer.args().precision());
                RouterLoss.Result r =
                        routerLoss.compute(out, b.targets(), trainer.args().img());
                if (!Float.isFinite(r.total().getFloat(0)))
                    throw new IllegalStateException(
                            trainer.nonFinite(b, r.total().getFloat(0)));
                io.dydet.engine.Engines.backward(r.total());
                routerItems(
                        items,
                        b,
                        "gap",
                        r.images().stream()
                                .mapToDouble(RouterLoss.ImageLoss::gap)
                                .toArray(),
                        r.images().stream()
                                .mapToDouble(RouterLoss.ImageLoss::score)
                                .toArray(),
                        routerLoss.offset(),
                        r.total().getFloat(0));
            }
            return items;
        }

        /**
         * The same for either criterion: each image's (benefit from route 2, score, known difficulty) for the epoch's
         * rank correlations, and the batch's means under {@code benefitKey}, delta, score, route2, loss.
         */
        private void routerItems(
                Map<String, Double> items,
                TrainBatch b,
                String benefitKey,
                double[] benefits,
                double[] scores,
                double offset,
                float total) {
            double benefit = 0, score = 0, hard = 0;
            for (int i = 0; i < benefits.length; i++) {
                Boolean hardImage = difficulty.get(Difficulty.key(b.paths().get(i)));
                epochGaps.add(
                        new double[] {benefits[i], scores[i], hardImage == null ? Double.NaN : hardImage ? 1 : 0});
                benefit += benefits[i];
                score += scores[i];
                hard += scores[i] < trainer.args().dynamicThreshold() ? 1 : 0;
            }
            int n = benefits.length;
            items.put(benefitKey, benefit / n);
            items.put("delta", offset);
            items.put("score", score / n);
            items.put("route2", hard / n);
            items.put("loss", (double) total / n);
        }

        @Override
        public void epochStarted() {
            epochGaps.clear();
        }

        /** A useful router ranks images by how little they gain from route 2: its score is high where the gap is small. */
        @Override
        public void epochDone(Map<String, Double> means) {
            means.put(
                    "rank_corr",
                    -Spearman.rho(
                            epochGaps.stream().mapToDouble(g -> g[0]).toArray(),
                            epochGaps.stream().mapToDouble(g -> g[1]).toArray()));
            // where difficulty is known: does the router score the hard images lower (AUC 1: always)
            double[][] known =
                    epochGaps.stream().filter(g -> !Double.isNaN(g[2])).toArray(double[][]::new);
            if (known.length > 0) {
                means.put(
                        "difficulty_corr",
                        -Spearman.rho(
                                Arrays.stream(known).mapToDouble(g -> g[2]).toArray(),
                                Arrays.stream(known).mapToDouble(g -> g[1]).toArray()));
                means.put(
                        "difficulty_auc",
                        Auc.of(
                                Arrays.stream(known)
                                        .filter(g -> g[2] == 0)
                                        .mapToDouble(g -> g[1])
                                        .toArray(),
                                Arrays.stream(known)
                                        .filter(g -> g[2] == 1)
                                        .mapToDouble(g -> g[1])
                                        .toArray()));
            }
        }

        @Override
        public Map<String, Map<String, NDArray>> state(NDManager manager) {
            return Map.of("router", Map.of("gaps", manager.create(routerLoss.state())));
        }

        @Override
        public void restore(TrainingCheckpoint.Contents saved) {
            routerLoss.restore(saved.section("router").get("gaps").toDoubleArray());
        }
    }
}
