package io.dydet.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.data.DataConfig;
import io.dydet.data.Hyperparameters;
import io.dydet.data.train.TrainBatch;
import io.dydet.data.train.TrainLoader;
import io.dydet.data.train.TrainingSet;
import io.dydet.engine.Devices;
import io.dydet.engine.Engines;
import io.dydet.eval.DetectionMetrics;
import io.dydet.files.AtomicFile;
import io.dydet.model.ClassNames;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.weights.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training run of any {@link TrainingStep}: step 1 trains the cascaded detector (both routes, {@link CascadeLoss});
 * step 2 freezes it and trains the router ({@link RouterLoss}). The run folder holds args.yaml, hyp.yaml, model.yaml,
 * results.csv/png, weights/last and weights/best (dydet model files of the EMA weights) and
 * weights/last.state.safetensors (everything {@code --resume} needs, written atomically after each epoch).
 */
public final class Trainer implements AutoCloseable {
    /** How a run ended: where its files are and its last and best epochs. */
    public record Outcome(Path runDir, Path last, Path best, List<EpochResult> epochs, double bestFitness) {}

    /** The steps' names in args.yaml and the checkpoint (see {@link TrainingStep}). */
    public static final String STEP1 = TrainingStep.DETECTOR.id();

    public static final String STEP2 = TrainingStep.ROUTER.id();
    public static final String ROUTE2 = TrainingStep.ROUTE2.id();
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
    private final TrainingStep step;
    private final TrainListener listener;
    private final List<String> classNames;

    private Trainer(
            TrainArgs args, Path runDir, Hyperparameters hyp, ModelSpec spec, TrainListener listener, boolean fresh)
            throws IOException {
        this.args = args;
        this.runDir = runDir;
        this.hyp = hyp;
        this.spec = spec;
        this.listener = listener;
        this.step = args.step();
        this.data = DataConfig.load(Path.of(args.data()));
        if (spec.nc() != data.nc())
            throw new IllegalArgumentException(
                    "model has " + spec.nc() + " classes but " + data.file() + " has nc " + data.nc());
        this.classNames = data.names();
        this.network = Network.build(spec);
        // as detect and val: a size off the stride would fail deep inside the first forward
        network.checkImageSize(args.img());
        Device device = Devices.parse(args.device());
        // the data set is checked before any model work: wrong class ids or an empty set fail here
        this.trainSet = step.trainingSet(data, args, listener);
        io.dydet.data.Images.loadOpenCv();
        // loader threads each run OpenCV; its own thread pool would fight the engine's threads for the cores
        org.opencv.core.Core.setNumThreads(1);
        this.root = NDManager.newBaseManager(device);
        for (String p : trainSet.problems()) listener.message("data problem (image left out): " + p);
        try {
            Engines.seed(args.seed());
            this.model = DynamicDetModel.initialized(network, root.newSubManager(), args.seed());
            if (fresh) step.initialise(this);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** The initial weights, if the run names any, by name and shape; null when it names none. */
    WeightTransfer.Report transferInitialWeights(boolean anchors) throws IOException {
        if (args.weights() == null) return null;
        WeightTransfer.Report r = WeightTransfer.copyInto(model, Path.of(args.weights()), anchors);
        listener.message("initial weights " + args.weights() + ": " + r.describe());
        return r;
    }

    TrainArgs args() {
        return args;
    }

    TrainListener listener() {
        return listener;
    }

    TrainingSet trainSet() {
        return trainSet;
    }

    DataConfig data() {
        return data;
    }

    List<String> classNames() {
        return classNames;
    }

    /** New anchors for the second head when the definition's fit the boxes badly (best possible recall < 0.98). */
    void autoanchor() {
        io.dydet.nn.IDetect det = network.detect(io.dydet.model.Section.D2);
        String prefix = network.detectNode(io.dydet.model.Section.D2).prefix();
        float[] grid = model.stateDict().get(prefix + "anchor_grid").toFloatArray();
        int nl = det.levels(), na = det.na();
        float[][][] pixels = new float[nl][na][2];
        for (int i = 0; i < nl; i++)
            for (int a = 0; a < na; a++)
                pixels[i][a] = new float[] {grid[(i * na + a) * 2], grid[(i * na + a) * 2 + 1]};
        Autoanchor.Result r = Autoanchor.check(trainSet.images(), pixels, args.img(), hyp.anchorT(), args.seed());
        if (!r.changed()) {
            listener.message(String.format(
                    "autoanchor: best possible recall %.4f, %.2f anchors past the threshold: anchors kept",
                    r.recall(), r.anchorsAboveThreshold()));
            return;
        }
        float[] newGrid = new float[nl * na * 2], units = new float[nl * na * 2];
        for (int i = 0; i < nl; i++) {
            for (int a = 0; a < na; a++) {
                for (int j = 0; j < 2; j++) {
                    newGrid[(i * na + a) * 2 + j] = r.anchors()[i][a][j];
                    units[(i * na + a) * 2 + j] =
                            r.anchors()[i][a][j] / det.strides().get(i);
                }
            }
        }
        model.stateDict().get(prefix + "anchor_grid").set(newGrid);
        model.stateDict().get(prefix + "anchors").set(units);
        listener.message(String.format(
                "autoanchor: best possible recall %.4f < 0.98; new anchors for the second head (recall %.4f): %s",
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
        AtomicFile.writeString(
                runDir.resolve("hyp.yaml"), hyp.toYaml() + "label_smoothing: " + hyp.labelSmoothing() + "\n");
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
        Hyperparameters hyp = Hyperparameters.parse(
                        hypText.replaceAll("(?m)^label_smoothing:.*$", ""),
                        runDir.resolve("hyp.yaml").toString())
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
        for (String name : List.of(TrainingCheckpoint.FILE, LAST, BEST))
            stale.addAll(SafeTensors.leftoverTemporaryFiles(weights.resolve(name)));
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
        ModelSpec spec = args.step().spec(args);
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
        TrainingPrecision.require(args.precision(), model.device());
        Hyperparameters scaled =
                hyp.scaledForTraining(network.detect(io.dydet.model.Section.D2).levels(), spec.nc(), args.img());
        ParameterGroups groups = step.parameterGroups(model);
        groups.requireGradients(model);
        ResultsLog log = new ResultsLog(runDir);
        Path stateFile = runDir.resolve("weights").resolve(TrainingCheckpoint.FILE);
        NDManager savedManager = root.newSubManager(); // holds the saved state until it is copied into place
        TrainingCheckpoint.Contents saved =
                Files.exists(stateFile) ? TrainingCheckpoint.read(stateFile, savedManager) : null;
        if (saved != null) WeightTransfer.copyInto(model, saved.section("model"), true);
        double emaDecay = step.emaDecay();
        try (TrainLoader loader = new TrainLoader(
                        trainSet, hyp, args.img(), args.batch(), args.workers(), args.seed(), true, false);
                Optimizer opt = step.optimizer(groups, hyp, args.adam());
                Ema ema = saved != null
                        ? Ema.of(
                                saved.section("ema"),
                                model.device(),
                                emaDecay,
                                Ema.DEFAULT_TAU,
                                saved.progress().emaUpdates())
                        : Ema.of(model, emaDecay, Ema.DEFAULT_TAU)) {
            int nb = loader.batchesPerEpoch();
            Schedule schedule = step.schedule(hyp, args, nb);
            for (int g = 0; g < groups.size(); g++)
                opt.setWeightDecay(g, groups.get(g).decays() ? schedule.weightDecay() : 0);
            StepLoss loss = step.loss(this, scaled);
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
                loss.restore(saved);
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
            loss.beforeEpochs();
            List<EpochResult> done = new java.util.ArrayList<>();
            for (int epoch = startEpoch; epoch < args.epochs(); epoch++) {
                long t0 = System.nanoTime();
                listener.epochStarted(epoch, args.epochs(), nb);
                Map<String, Double> sums = new LinkedHashMap<>();
                loss.epochStarted();
                int batches = 0;
                long images = 0;
                for (TrainBatch b : loader.epoch(epoch, 0)) {
                    if (epoch == 0 && b.index() < 3)
                        TrainPlots.batch(runDir.resolve("train_batch" + b.index() + ".jpg"), b, classNames);
                    long ni = (long) batches + (long) nb * epoch;
                    int accumulate = schedule.accumulate(ni);
                    schedule.apply(opt, ni, epoch);
                    Map<String, Double> items = step(b, loss);
                    items.forEach((k, v) -> sums.merge(k, v, Double::sum));
                    if (Schedule.stepsAt(ni, lastStep, accumulate)) {
                        String bad = nonFiniteGradient(groups);
                        if (bad != null) {
                            // as a mixed-precision scaler does: drop this step's gradients rather than poison the
                            // weights
                            skipped++;
                            listener.message(
                                    "epoch " + (epoch + 1) + " batch " + (b.index() + 1) + ": non-finite gradient in "
                                            + bad + "; optimiser step skipped (" + skipped + " so far)");
                        } else {
                            opt.step();
                            step.updateEma(ema, model, groups);
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
                loss.epochDone(means);
                double[] lrs = new double[groups.size()];
                for (int g = 0; g < lrs.length; g++) lrs[g] = opt.lr(g);
                boolean validateNow =
                        validator != null && ((epoch + 1) % args.valEvery() == 0 || epoch == args.epochs() - 1);
                EpochResult.Validation val = EpochResult.Validation.NONE;
                if (validateNow) {
                    EpochValidator.Result v = validator.run(
                            network, ema.tensors(), root, step.validationThreshold(args), listener::validating);
                    DetectionMetrics.Result main = v.main();
                    val = new EpochResult.Validation(
                            main.precision(),
                            main.recall(),
                            main.map50(),
                            main.map(),
                            v.route1().map50(),
                            v.route1().map());
                }
                double fitness = 0.1 * val.map50() + 0.9 * val.map();
                boolean best = validator == null || (validateNow && fitness > bestFitness);
                if (validateNow && fitness > bestFitness) bestFitness = fitness;
                EpochResult result = new EpochResult(epoch, means, val, lrs, (System.nanoTime() - t0) / 1e9, best);
                // state first: a kill between the writes leaves a consistent state to resume from
                Map<String, Map<String, NDArray>> sections = new LinkedHashMap<>();
                sections.put("model", model.stateDict());
                sections.put("ema", ema.tensors());
                sections.put("optimizer", opt.stateTensors());
                Map<String, String> optMeta = new LinkedHashMap<>();
                opt.stateMetadata().forEach((k, v) -> optMeta.put(OPT_PREFIX + k, v));
                try (NDManager tmp = root.newSubManager()) {
                    sections.putAll(loss.state(tmp));
                    TrainingCheckpoint.write(
                            stateFile,
                            sections,
                            new TrainingCheckpoint.Progress(
                                    epoch + 1,
                                    args.epochs(),
                                    (long) nb * (epoch + 1),
                                    lastStep,
                                    bestFitness,
                                    best ? epoch : -1,
                                    ema.updates(),
                                    step.id()),
                            optMeta);
                    Path last = runDir.resolve("weights").resolve(LAST),
                            bestFile = runDir.resolve("weights").resolve(BEST);
                    saveModel(last, ema.tensors(), epoch + 1);
                    if (best) {
                        AtomicFile.write(bestFile, out -> Files.copy(last, out));
                    }
                }
                log.add(result);
                done.add(result);
                listener.epochDone(result);
                if (epoch + 1 < args.epochs() && !listener.keepTraining(result)) {
                    listener.message(
                            "stopped after epoch " + (epoch + 1) + " of " + args.epochs() + " at the caller's request");
                    break;
                }
            }
            return new Outcome(
                    runDir,
                    runDir.resolve("weights/last.safetensors"),
                    runDir.resolve("weights/best.safetensors"),
                    done,
                    bestFitness);
        }
    }

    private static final String OPT_PREFIX = "dydet.optimizer.";

    private static Path tmpSibling(Path p) {
        return p.resolveSibling(p.getFileName() + ".tmp");
    }

    /** One batch: forward, loss, backward; returns the items to log. */
    private Map<String, Double> step(TrainBatch b, StepLoss loss) {
        boolean grad = Engines.isGradEnabled();
        Engines.setGradEnabled(true);
        try (NDManager m = root.newSubManager()) {
            return loss.step(b.images(m), b);
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
            if (sums.isEmpty()
                    || Float.isFinite(ai.djl.ndarray.NDArrays.stack(sums).sum().getFloat())) return null;
            float[] each = ai.djl.ndarray.NDArrays.stack(sums).toFloatArray();
            for (int i = 0; i < each.length; i++) if (!Float.isFinite(each[i])) return names.get(i);
            return null; // finite parts overflowed only in the total
        }
    }

    /** A message naming the batch and the first parameters that are no longer finite (diverged training). */
    String nonFinite(TrainBatch b, float loss) {
        List<String> bad = new java.util.ArrayList<>();
        for (var e : model.stateDict().entrySet()) {
            try (NDArray finite =
                    e.getValue().isInfinite().logicalOr(e.getValue().isNaN()).any()) {
                if (finite.getBoolean()) bad.add(e.getKey());
            }
            if (bad.size() == 5) break;
        }
        return "loss is " + loss + " at epoch " + (b.epoch() + 1) + " batch " + (b.index() + 1) + " (" + b.paths() + ")"
                + (bad.isEmpty()
                        ? "; the weights are finite, so the batch itself produced it"
                        : "; non-finite weights: " + bad)
                + ". Lower lr0 or warmup_bias_lr, or check the labels of these images.";
    }

    private void saveModel(Path file, Map<String, NDArray> weights, int epochs) throws IOException {
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("trained_by", "dydet " + step.trainedBy());
        prov.put("data", args.data());
        prov.put("epochs", Integer.toString(epochs));
        prov.put("seed", Long.toString(args.seed()));
        prov.put("run", runDir.toString());
        ModelArtifact a = new ModelArtifact(
                spec.name(),
                spec.toYaml(),
                classNames.size() == spec.nc() ? classNames : ClassNames.defaults(spec.nc()),
                args.img(),
                network.strides(),
                null,
                prov);
        ModelFiles.save(file, network, weights, a);
    }

    @Override
    public void close() {
        root.close();
    }
}
