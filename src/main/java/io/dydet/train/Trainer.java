package io.dydet.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.data.DataConfig;
import io.dydet.data.Difficulty;
import io.dydet.data.Hyperparameters;
import io.dydet.data.train.LabelledImage;
import io.dydet.data.train.TrainBatch;
import io.dydet.data.train.TrainLoader;
import io.dydet.data.train.TrainingSet;
import io.dydet.engine.Devices;
import io.dydet.engine.Engines;
import io.dydet.eval.Auc;
import io.dydet.eval.DetectionMetrics;
import io.dydet.model.ClassNames;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.TrainOutput;
import io.dydet.files.AtomicFile;
import io.dydet.weights.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training run of either step: step 1 trains the cascaded detector (both routes, {@link CascadeLoss}); step 2
 * freezes it and trains the router ({@link RouterLoss}). The run folder holds args.yaml, hyp.yaml, model.yaml,
 * results.csv/png, weights/last and weights/best (dydet model files of the EMA weights) and
 * weights/last.state.safetensors (everything {@code --resume} needs, written atomically after each epoch).
 */
public final class Trainer implements AutoCloseable {
    /** How a run ended: where its files are and its last and best epochs. */
    public record Outcome(Path runDir, Path last, Path best, List<EpochResult> epochs, double bestFitness) {}

    public static final String STEP1 = "detector";
    public static final String STEP2 = "router";
    /**
     * An optional stage after step 1: only route 2's own layers (second backbone, composite connections, second
     * head) train, on route 2's loss, with route 1 frozen (weights and BatchNorm statistics). A short run lets route 2
     * pull ahead of route 1 where a short joint step 1 leaves them level (see {@link MirrorInit}).
     */
    public static final String ROUTE2 = "route2";
    /** File names in the run's weights folder. */
    private static final String LAST = "last.safetensors", BEST = "best.safetensors";

    private final TrainArgs args;
    private final Path runDir;
    private final Hyperparameters hyp;
    private final Network network;
    private final ModelSpec spec;
    private final DataConfig data;
    private final NDManager root;
    private final DynamicDetModel model;
    private final TrainingSet trainSet;
    private final boolean routerStep;
    private final boolean route2Step;
    private final TrainListener listener;
    private final List<String> classNames;
    /** Step 2: (benefit from route 2: loss gap L1 - L2 or AP contribution; easiness score; 1 if known hard / 0 if known easy / NaN) per image of the epoch in progress. */
    private final List<double[]> epochGaps = new java.util.ArrayList<>();
    /** Step 2 with the AP criterion: each training image's measured benefit from route 2 (null: the original's loss criterion). */
    private ApCriterion apCriterion;
    /** Step 2: known difficulty per image name (the data set's 'difficulty' CSV), empty when unknown. */
    private final Map<String, Boolean> difficulty;

    private Trainer(TrainArgs args, Path runDir, Hyperparameters hyp, ModelSpec spec, TrainListener listener, boolean fresh) throws IOException {
        this.args = args;
        this.runDir = runDir;
        this.hyp = hyp;
        this.spec = spec;
        this.listener = listener;
        this.routerStep = STEP2.equals(args.step());
        this.route2Step = ROUTE2.equals(args.step());
        if (!routerStep && !route2Step && !STEP1.equals(args.step())) {
            throw new IllegalArgumentException("unknown training step '" + args.step() + "' (expected " + STEP1 + ", " + ROUTE2 + " or " + STEP2 + ")");
        }
        this.data = DataConfig.load(Path.of(args.data()));
        if (spec.nc() != data.nc()) throw new IllegalArgumentException("model has " + spec.nc() + " classes but " + data.file() + " has nc " + data.nc());
        this.classNames = data.names();
        this.network = Network.build(spec);
        Device device = Devices.parse(args.device());
        // the data set is checked before any model work: wrong class ids or an empty set fail here
        // step 2 trains on the held-out 'router' split when the data set has one (see DataConfig), else as the original
        boolean heldOut = routerStep && data.hasRouterSplit();
        this.trainSet = TrainingSet.open(routerStep ? data.routerImages() : data.images("train"), data.nc(),
                args.cacheDir() == null ? null : Path.of(args.cacheDir()), data.file() + (heldOut ? " (router)" : " (train)"));
        this.difficulty = routerStep && data.difficultyFile() != null ? Difficulty.read(data.difficultyFile()) : Map.of();
        io.dydet.data.Images.loadOpenCv();
        // loader threads each run OpenCV; its own thread pool would fight the engine's threads for the cores
        org.opencv.core.Core.setNumThreads(1);
        this.root = NDManager.newBaseManager(device);
        if (heldOut) listener.message("step 2 trains the router on the held-out 'router' split of " + data.file() + " (" + trainSet.size()
                + " images, none of them step 1's)");
        for (String p : trainSet.problems()) listener.message("data problem (image left out): " + p);
        try {
            Engines.seed(args.seed());
            this.model = DynamicDetModel.initialized(network, root.newSubManager(), args.seed());
            if (fresh && STEP1.equals(args.step()) && args.autoanchor()) autoanchor();
            if (fresh && args.weights() != null) {
                // steps after step 1 continue a model: its anchors come along
                WeightTransfer.Report r = WeightTransfer.copyInto(model, Path.of(args.weights()), routerStep || route2Step);
                listener.message("initial weights " + args.weights() + ": " + r.describe());
                if (routerStep && r.notInFile().stream().anyMatch(n -> n.startsWith("router."))) {
                    listener.message("the file has no router: a freshly initialised router is trained");
                }
            }
            if (fresh && STEP1.equals(args.step()) && args.mirrorRoutes()) {
                int n = MirrorInit.apply(model);
                listener.message("route 2 starts as a copy of route 1 (" + n + " tensors copied, composite connections zeroed)");
            }
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** design.md, Training step 1: new anchors for the second head when the definition's fit the boxes badly (best possible recall < 0.98). */
    private void autoanchor() {
        io.dydet.nn.IDetect det = network.detect(io.dydet.model.Section.D2);
        String prefix = network.detectNode(io.dydet.model.Section.D2).prefix();
        float[] grid = model.stateDict().get(prefix + "anchor_grid").toFloatArray();
        int nl = det.levels(), na = det.na();
        float[][][] pixels = new float[nl][na][2];
        for (int i = 0; i < nl; i++) for (int a = 0; a < na; a++) pixels[i][a] = new float[] {grid[(i * na + a) * 2], grid[(i * na + a) * 2 + 1]};
        Autoanchor.Result r = Autoanchor.check(trainSet.images(), pixels, args.img(), hyp.anchorT(), args.seed());
        if (!r.changed()) {
            listener.message(String.format("autoanchor: best possible recall %.4f, %.2f anchors past the threshold: anchors kept", r.recall(),
                    r.anchorsAboveThreshold()));
            return;
        }
        float[] newGrid = new float[nl * na * 2], units = new float[nl * na * 2];
        for (int i = 0; i < nl; i++) {
            for (int a = 0; a < na; a++) {
                for (int j = 0; j < 2; j++) {
                    newGrid[(i * na + a) * 2 + j] = r.anchors()[i][a][j];
                    units[(i * na + a) * 2 + j] = r.anchors()[i][a][j] / det.strides().get(i);
                }
            }
        }
        model.stateDict().get(prefix + "anchor_grid").set(newGrid);
        model.stateDict().get(prefix + "anchors").set(units);
        listener.message(String.format("autoanchor: best possible recall %.4f < 0.98; new anchors for the second head (recall %.4f): %s",
                r.recall(), r.newRecall(), java.util.Arrays.deepToString(r.anchors())));
    }

    /** Starts a new run in {@code runDir} (created by the caller, empty). */
    public static Trainer start(TrainArgs args, Path runDir, TrainListener listener) throws IOException {
        Hyperparameters hyp = Hyperparameters.load(args.hyp()).withLabelSmoothing(args.labelSmoothing());
        if (args.lr0() != null) hyp = hyp.with(Map.of("lr0", args.lr0()));
        ModelSpec spec = resolveSpec(args);
        Trainer t = new Trainer(args, runDir, hyp, spec, listener, true);
        Files.createDirectories(runDir.resolve("weights"));
        AtomicFile.writeString(runDir.resolve("args.yaml"), args.toYaml());
        AtomicFile.writeString(runDir.resolve("hyp.yaml"), hyp.toYaml() + "label_smoothing: " + hyp.labelSmoothing() + "\n");
        AtomicFile.writeString(runDir.resolve("model.yaml"), spec.toYaml());
        TrainPlots.labels(runDir.resolve("labels.png"), t.trainSet.classWidthHeight(), t.classNames);
        return t;
    }

    /** Continues a run from its last saved state; {@code epochs} (if not null) extends or shortens the schedule. */
    public static Trainer resume(Path runDir, Integer epochs, TrainListener listener) throws IOException {
        TrainArgs args = TrainArgs.read(runDir.resolve("args.yaml"));
        if (epochs != null) args = args.withEpochs(epochs);
        String hypText = Files.readString(runDir.resolve("hyp.yaml"));
        double smoothing = args.labelSmoothing();
        Hyperparameters hyp = Hyperparameters.parse(hypText.replaceAll("(?m)^label_smoothing:.*$", ""), runDir.resolve("hyp.yaml").toString())
                .withLabelSmoothing(smoothing);
        ModelSpec spec = ModelSpec.load(runDir.resolve("model.yaml"));
        Trainer t = new Trainer(args, runDir, hyp, spec, listener, false);
        try {
            removeInterruptedSaves(runDir.resolve("weights"), listener);
            if (epochs != null) AtomicFile.writeString(runDir.resolve("args.yaml"), args.toYaml());
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /**
     * Deletes the temporary files that saves killed mid-write left in the run's weights folder (each as large as a
     * model or the training state) and logs one line per file. Nothing else writes there while the run is resumed.
     */
    private static void removeInterruptedSaves(Path weights, TrainListener listener) throws IOException {
        List<Path> stale = new ArrayList<>();
        for (String name : List.of(TrainingCheckpoint.FILE, LAST, BEST)) stale.addAll(SafeTensors.leftoverTemporaryFiles(weights.resolve(name)));
        Path bestCopy = tmpSibling(weights.resolve(BEST));
        if (Files.isRegularFile(bestCopy)) stale.add(bestCopy);
        for (Path p : stale) {
            long bytes = Files.size(p);
            Files.deleteIfExists(p);
            listener.message("removed " + p + " (" + bytes + " bytes), left by a save that was interrupted");
        }
    }

    /** The model the run trains: step 1 from --model/--width and the data's classes; step 2 from the step-1 file plus a router. */
    static ModelSpec resolveSpec(TrainArgs args) throws IOException {
        DataConfig dc = DataConfig.load(Path.of(args.data()));
        ModelSpec spec;
        if (STEP2.equals(args.step())) {
            if (args.weights() == null) throw new IllegalArgumentException("train-router needs --weights (a step-1 model)");
            ModelSpec inFile = ModelFiles.describedSpec(Path.of(args.weights()));
            spec = RouterSpecs.withRouter(inFile);
        } else if (ROUTE2.equals(args.step())) {
            if (args.weights() == null) throw new IllegalArgumentException("training route 2 alone needs --weights (a step-1 model)");
            spec = ModelFiles.describedSpec(Path.of(args.weights()));
        } else {
            // step 1 trains the cascaded detector: a built-in name means its step-1 form (no router)
            boolean builtIn = ModelSpec.BUILT_IN.contains(args.model());
            spec = ModelSpec.resolve(builtIn ? args.model() + "-step1" : args.model());
            if (args.width() != null) spec = spec.withWidth(args.width());
        }
        return spec.nc() == dc.nc() ? spec : spec.withClasses(dc.nc());
    }

    public Path runDir() {
        return runDir;
    }

    public DynamicDetModel model() {
        return model;
    }

    /** Trains to the end of the schedule (or from where a resumed run stopped). */
    public Outcome run() throws IOException {
        if (!model.device().isGpu()) io.dydet.engine.Engines.requireTorchCorrect(io.dydet.engine.check.CheckMode.TRAINING, "training");
        Hyperparameters scaled = hyp.scaledForTraining(network.detect(io.dydet.model.Section.D2).levels(), spec.nc(), args.img());
        ParameterGroups groups = routerStep ? ParameterGroups.routerOnly(model)
                : route2Step ? ParameterGroups.of(model, DynamicDetModel::isRoute2Only) : ParameterGroups.of(model);
        groups.requireGradients(model);
        ResultsLog log = new ResultsLog(runDir);
        Path stateFile = runDir.resolve("weights").resolve(TrainingCheckpoint.FILE);
        NDManager savedManager = root.newSubManager(); // holds the saved state until it is copied into place
        TrainingCheckpoint.Contents saved = Files.exists(stateFile) ? TrainingCheckpoint.read(stateFile, savedManager) : null;
        if (saved != null) WeightTransfer.copyInto(model, saved.section("model"), true);
        double emaDecay = routerStep ? 0.0 : Ema.DEFAULT_DECAY;
        try (TrainLoader loader = new TrainLoader(trainSet, hyp, args.img(), args.batch(), args.workers(), args.seed(), true, false);
                Optimizer opt = optimizer(groups);
                Ema ema = saved != null ? Ema.of(saved.section("ema"), model.device(), emaDecay, Ema.DEFAULT_TAU, saved.progress().emaUpdates())
                        : Ema.of(model, emaDecay, Ema.DEFAULT_TAU)) {
            int nb = loader.batchesPerEpoch();
            Schedule schedule = Schedule.of(hyp, args.epochs(), nb, args.batch(), args.linearLr() || routerStep)
                    // step 2 counts its warmup in images (the original runs batch 1), so batch B warms up over the same images
                    .withMinWarmupIterations(routerStep ? (args.minWarmup() + args.batch() - 1) / args.batch() : args.minWarmup())
                    .withNominalBatch(args.nominalBatch());
            for (int g = 0; g < groups.size(); g++) opt.setWeightDecay(g, groups.get(g).decays() ? schedule.weightDecay() : 0);
            CascadeLoss cascade = routerStep ? null : new CascadeLoss(model, scaled);
            RouterLoss routerLoss = routerStep ? new RouterLoss(model, scaled) : null;
            int startEpoch = 0;
            int skipped = 0;
            long lastStep = Schedule.NO_STEP_YET;
            double bestFitness = Double.NEGATIVE_INFINITY;
            if (saved != null) {
                Map<String, String> optMeta = new LinkedHashMap<>();
                saved.metadata().forEach((k, v) -> {
                    if (k.startsWith(OPT_PREFIX)) optMeta.put(k.substring(OPT_PREFIX.length()), v);
                });
                opt.load(saved.section("optimizer"), optMeta);
                if (routerLoss != null) routerLoss.restore(saved.section("router").get("gaps").toDoubleArray());
                startEpoch = saved.progress().epochsDone();
                lastStep = saved.progress().lastOptimizerStep();
                bestFitness = saved.progress().bestFitness();
                log.reload(startEpoch);
                listener.message("resumed " + runDir + " after epoch " + startEpoch + " of " + args.epochs());
            }
            savedManager.close(); // everything saved is copied into place by now
            EpochValidator validator = null;
            if (args.validate() && data.val() != null) {
                validator = new EpochValidator(data.images("val"), spec.nc(), args.img(), args.valBatch());
                for (String p : validator.problems()) listener.message("validation problem (image left out): " + p);
            }
            if (routerStep && args.apCriterion()) {
                apCriterion = ApCriterion.measure(model, trainSet.images().stream().map(LabelledImage::image).toList(), classNames, args.img(), args.valBatch(), listener::validating);
                listener.message(apCriterion.toString());
            }
            List<EpochResult> done = new java.util.ArrayList<>();
            for (int epoch = startEpoch; epoch < args.epochs(); epoch++) {
                long t0 = System.nanoTime();
                listener.epochStarted(epoch, args.epochs(), nb);
                Map<String, Double> sums = new LinkedHashMap<>();
                epochGaps.clear();
                int batches = 0;
                long images = 0;
                for (TrainBatch b : loader.epoch(epoch, 0)) {
                    if (epoch == 0 && b.index() < 3) TrainPlots.batch(runDir.resolve("train_batch" + b.index() + ".jpg"), b, classNames);
                    long ni = (long) batches + (long) nb * epoch;
                    int accumulate = schedule.accumulate(ni);
                    schedule.apply(opt, ni, epoch);
                    Map<String, Double> items = step(b, cascade, routerLoss);
                    items.forEach((k, v) -> sums.merge(k, v, Double::sum));
                    if (Schedule.stepsAt(ni, lastStep, accumulate)) {
                        String bad = nonFiniteGradient(groups);
                        if (bad != null) {
                            // as a mixed-precision scaler does: drop this step's gradients rather than poison the weights
                            skipped++;
                            listener.message("epoch " + (epoch + 1) + " batch " + (b.index() + 1) + ": non-finite gradient in " + bad
                                    + "; optimiser step skipped (" + skipped + " so far)");
                        } else {
                            opt.step();
                            ema.update(model);
                        }
                        opt.zeroGrad();
                        lastStep = ni;
                    }
                    batches++;
                    images += b.size();
                    Map<String, Double> means = new LinkedHashMap<>();
                    final int n = batches;
                    sums.forEach((k, v) -> means.put(k, v / n));
                    listener.batchDone(epoch, batches, nb, means, images / ((System.nanoTime() - t0) / 1e9));
                }
                Map<String, Double> means = new LinkedHashMap<>();
                final int n = Math.max(batches, 1);
                sums.forEach((k, v) -> means.put(k, v / n));
                // a useful router ranks images by how little they gain from route 2: score high where the gap is small
                if (routerStep) {
                    means.put("rank_corr", -Spearman.rho(epochGaps.stream().mapToDouble(g -> g[0]).toArray(),
                            epochGaps.stream().mapToDouble(g -> g[1]).toArray()));
                    // where difficulty is known: does the router score the hard images lower (AUC 1: always)
                    double[][] known = epochGaps.stream().filter(g -> !Double.isNaN(g[2])).toArray(double[][]::new);
                    if (known.length > 0) {
                        means.put("difficulty_corr", -Spearman.rho(Arrays.stream(known).mapToDouble(g -> g[2]).toArray(),
                                Arrays.stream(known).mapToDouble(g -> g[1]).toArray()));
                        means.put("difficulty_auc", Auc.of(Arrays.stream(known).filter(g -> g[2] == 0).mapToDouble(g -> g[1]).toArray(),
                                Arrays.stream(known).filter(g -> g[2] == 1).mapToDouble(g -> g[1]).toArray()));
                    }
                }
                double[] lrs = new double[groups.size()];
                for (int g = 0; g < lrs.length; g++) lrs[g] = opt.lr(g);
                double p = Double.NaN, r = Double.NaN, m50 = Double.NaN, m = Double.NaN, e50 = Double.NaN, e = Double.NaN;
                boolean validateNow = validator != null && ((epoch + 1) % args.valEvery() == 0 || epoch == args.epochs() - 1);
                if (validateNow) {
                    EpochValidator.Result v = validator.run(network, ema.tensors(), root, routerStep ? (float) args.dynamicThreshold() : Float.NaN,
                            listener::validating);
                    DetectionMetrics.Result main = v.main();
                    p = main.precision();
                    r = main.recall();
                    m50 = main.map50();
                    m = main.map();
                    e50 = v.route1().map50();
                    e = v.route1().map();
                }
                double fitness = 0.1 * m50 + 0.9 * m;
                boolean best = validator == null || (validateNow && fitness > bestFitness);
                if (validateNow && fitness > bestFitness) bestFitness = fitness;
                EpochResult result = new EpochResult(epoch, means, p, r, m50, m, e50, e, lrs, (System.nanoTime() - t0) / 1e9, best);
                // state first: a kill between the writes leaves a consistent state to resume from
                Map<String, Map<String, NDArray>> sections = new LinkedHashMap<>();
                sections.put("model", model.stateDict());
                sections.put("ema", ema.tensors());
                sections.put("optimizer", opt.stateTensors());
                Map<String, String> optMeta = new LinkedHashMap<>();
                opt.stateMetadata().forEach((k, v) -> optMeta.put(OPT_PREFIX + k, v));
                try (NDManager tmp = root.newSubManager()) {
                    if (routerLoss != null) sections.put("router", Map.of("gaps", tmp.create(routerLoss.state())));
                    TrainingCheckpoint.write(stateFile, sections, new TrainingCheckpoint.Progress(epoch + 1, args.epochs(), (long) nb * (epoch + 1),
                            lastStep, bestFitness, best ? epoch : -1, ema.updates(), args.step()), optMeta);
                    Path last = runDir.resolve("weights").resolve(LAST), bestFile = runDir.resolve("weights").resolve(BEST);
                    saveModel(last, ema.tensors(), epoch + 1);
                    if (best) {
                        AtomicFile.write(bestFile, out -> Files.copy(last, out));
                    }
                }
                log.add(result);
                done.add(result);
                listener.epochDone(result);
                if (epoch + 1 < args.epochs() && !listener.keepTraining(result)) {
                    listener.message("stopped after epoch " + (epoch + 1) + " of " + args.epochs() + " at the caller's request");
                    break;
                }
            }
            return new Outcome(runDir, runDir.resolve("weights/last.safetensors"), runDir.resolve("weights/best.safetensors"), done, bestFitness);
        }
    }

    private static final String OPT_PREFIX = "dydet.optimizer.";

    /** Step 1: SGD with Nesterov momentum or Adam; step 2: AdamW or SGD (the original's choices, design.md, Training step 1 and Training step 2). */
    private Optimizer optimizer(ParameterGroups groups) {
        if (!args.adam()) return Optimizers.sgd(groups, hyp.lr0(), hyp.momentum(), 0, true);
        return routerStep ? Optimizers.adamW(groups, hyp.lr0(), hyp.momentum(), 0) : Optimizers.adam(groups, hyp.lr0(), hyp.momentum(), 0);
    }

    private static Path tmpSibling(Path p) {
        return p.resolveSibling(p.getFileName() + ".tmp");
    }

    /**
     * Step 2's bookkeeping, the same for either criterion: each image's (benefit from route 2, score, known difficulty)
     * for the epoch's rank correlations, and the batch's means under {@code benefitKey}, delta, score, route2, loss.
     */
    private void routerItems(Map<String, Double> items, TrainBatch b, String benefitKey, double[] benefits, double[] scores, double offset,
                             float total) {
        double benefit = 0, score = 0, hard = 0;
        for (int i = 0; i < benefits.length; i++) {
            Boolean hardImage = difficulty.get(Difficulty.key(b.paths().get(i)));
            epochGaps.add(new double[] {benefits[i], scores[i], hardImage == null ? Double.NaN : hardImage ? 1 : 0});
            benefit += benefits[i];
            score += scores[i];
            hard += scores[i] < args.dynamicThreshold() ? 1 : 0;
        }
        int n = benefits.length;
        items.put(benefitKey, benefit / n);
        items.put("delta", offset);
        items.put("score", score / n);
        items.put("route2", hard / n);
        items.put("loss", (double) total / n);
    }

    /** One batch: forward, loss, backward; returns the items to log. */
    private Map<String, Double> step(TrainBatch b, CascadeLoss cascade, RouterLoss routerLoss) {
        boolean grad = Engines.isGradEnabled();
        Engines.setGradEnabled(true);
        try (NDManager m = root.newSubManager()) {
            NDArray x = b.images(m);
            float[][] targets = b.targets();
            Map<String, Double> items = new LinkedHashMap<>();
            if (apCriterion != null) {
                ApCriterion.Result r = apCriterion.compute(model.routerScores(x), b.paths());
                if (!Float.isFinite(r.total().getFloat(0))) throw new IllegalStateException(nonFinite(b, r.total().getFloat(0)));
                Engines.backward(r.total());
                routerItems(items, b, "benefit", r.images().stream().mapToDouble(ApCriterion.ImageLoss::benefit).toArray(),
                        r.images().stream().mapToDouble(ApCriterion.ImageLoss::score).toArray(), apCriterion.offset(), r.total().getFloat(0));
            } else if (routerStep) {
                TrainOutput out = model.forwardFrozen(x);
                RouterLoss.Result r = routerLoss.compute(out, targets, args.img());
                if (!Float.isFinite(r.total().getFloat(0))) throw new IllegalStateException(nonFinite(b, r.total().getFloat(0)));
                Engines.backward(r.total());
                routerItems(items, b, "gap", r.images().stream().mapToDouble(RouterLoss.ImageLoss::gap).toArray(),
                        r.images().stream().mapToDouble(RouterLoss.ImageLoss::score).toArray(), routerLoss.offset(), r.total().getFloat(0));
            } else {
                TrainOutput out = route2Step ? model.forwardTrainRoute2(x) : model.forwardTrain(x);
                CascadeLoss.Result r = route2Step ? cascade.computeRoute2(out, targets, args.img()) : cascade.compute(out, targets, args.img());
                if (!Float.isFinite(r.sum())) throw new IllegalStateException(nonFinite(b, r.sum()));
                Engines.backward(r.total());
                items.put("box", (double) r.box());
                items.put("obj", (double) r.obj());
                items.put("cls", (double) r.cls());
                items.put("total", (double) r.sum());
            }
            return items;
        } finally {
            Engines.setGradEnabled(grad);
        }
    }

    /**
     * The first parameter whose gradient is NaN or infinite, or null when all are finite. One host read per step:
     * the per-tensor sums are added on the engine, and only a non-finite total is traced to its tensor.
     */
    private static String nonFiniteGradient(ParameterGroups groups) {
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            List<String> names = new java.util.ArrayList<>();
            ai.djl.ndarray.NDList sums = new ai.djl.ndarray.NDList();
            for (var e : groups.parameters().entrySet()) {
                if (!e.getValue().hasGradient()) continue;
                names.add(e.getKey());
                sums.add(e.getValue().getGradient().sum());
            }
            if (sums.isEmpty() || Float.isFinite(ai.djl.ndarray.NDArrays.stack(sums).sum().getFloat())) return null;
            float[] each = ai.djl.ndarray.NDArrays.stack(sums).toFloatArray();
            for (int i = 0; i < each.length; i++) if (!Float.isFinite(each[i])) return names.get(i);
            return null; // finite parts overflowed only in the total
        }
    }

    /** A message naming the batch and the first parameters that are no longer finite (diverged training). */
    private String nonFinite(TrainBatch b, float loss) {
        List<String> bad = new java.util.ArrayList<>();
        for (var e : model.stateDict().entrySet()) {
            try (NDArray finite = e.getValue().isInfinite().logicalOr(e.getValue().isNaN()).any()) {
                if (finite.getBoolean()) bad.add(e.getKey());
            }
            if (bad.size() == 5) break;
        }
        return "loss is " + loss + " at epoch " + (b.epoch() + 1) + " batch " + (b.index() + 1) + " (" + b.paths() + ")"
                + (bad.isEmpty() ? "; the weights are finite, so the batch itself produced it" : "; non-finite weights: " + bad)
                + ". Lower lr0 or warmup_bias_lr, or check the labels of these images.";
    }

    private void saveModel(Path file, Map<String, NDArray> weights, int epochs) throws IOException {
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("trained_by", "dydet " + (routerStep ? "train-router" : "train"));
        prov.put("data", args.data());
        prov.put("epochs", Integer.toString(epochs));
        prov.put("seed", Long.toString(args.seed()));
        prov.put("run", runDir.toString());
        ModelArtifact a = new ModelArtifact(spec.name(), spec.toYaml(), classNames.size() == spec.nc() ? classNames : ClassNames.defaults(spec.nc()),
                args.img(), network.strides(), null, prov);
        ModelFiles.save(file, network, weights, a);
    }

    @Override
    public void close() {
        root.close();
    }
}
