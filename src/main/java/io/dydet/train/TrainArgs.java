package io.dydet.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.dydet.model.Precision;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of a training run as the user gave them; written to the run's args.yaml and read back by
 * {@code --resume}. Paths are kept as given (absolute after resolution by the CLI). Built by name with
 * {@link #builder()}; what a run leaves out takes the command line's default (some depend on the step, see
 * {@link TrainingStep#defaults()}).
 *
 * <pre>{@code
 * TrainArgs args = TrainArgs.builder().step(TrainingStep.DETECTOR).model("dy-yolov7").data("coco.yaml").epochs(300).build();
 * }</pre>
 *
 * <ul>
 *   <li>model: a built-in model name or a cfg file; width: width multiple for built-in models (null: as defined)
 *   <li>hyp: a built-in hyp name or a hyp YAML file; weights: initial weights (by name and shape), or null to start from scratch
 *   <li>minWarmup: minimum warmup iterations (the original: 1000); nominalBatch: gradients are accumulated up to this many images (the original: 64)
 *   <li>validate: per-epoch validation on the data set's val split; valEvery: validate every this many epochs (and after the last)
 *   <li>adam: Adam instead of SGD (step 2: AdamW); linearLr: linear instead of cosine decay
 *   <li>dynamicThreshold: step 2's threshold of its per-epoch dynamic validation
 *   <li>autoanchor: step 1 checks the anchors against the data set's boxes and evolves new ones when they fit badly
 *   <li>mirrorRoutes: step 1 starts route 2 as a copy of route 1 with zero composite connections ({@link MirrorInit})
 *   <li>routerCriterion: step 2's exit criterion (null: the original's loss criterion)
 *   <li>precision: the number format of the forward and backward passes: fp32, or bf16 mixed precision (design.md,
 *       bfloat16 training)
 * </ul>
 */
public final class TrainArgs {
    private static final YAMLMapper YAML =
            (YAMLMapper) new YAMLMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final TrainingStep step;
    private final String model;
    private final Double width;
    private final String data;
    private final String hyp;
    private final int epochs;
    private final int batch;
    private final int img;
    private final String device;
    private final int workers;
    private final long seed;
    private final String weights;
    private final boolean adam;
    private final boolean linearLr;
    private final int minWarmup;
    private final int nominalBatch;
    private final boolean validate;
    private final int valBatch;
    private final double labelSmoothing;
    private final Double lr0;
    private final String cacheDir;
    private final double dynamicThreshold;
    private final int valEvery;
    private final boolean autoanchor;
    private final boolean mirrorRoutes;
    private final RouterCriterion routerCriterion;
    private final Precision precision;

    TrainArgs(TrainArgsBuilder b) {
        TrainingStep.Defaults d = b.step.defaults();
        step = b.step;
        model = b.model;
        width = b.width;
        data = b.data;
        hyp = b.hyp != null ? b.hyp : d.hyp();
        epochs = b.epochs != null ? b.epochs : d.epochs();
        batch = b.batch != null ? b.batch : d.batch();
        img = b.img;
        device = b.device;
        workers = b.workers;
        seed = b.seed;
        weights = b.weights;
        adam = b.adam != null ? b.adam : d.adam();
        linearLr = b.linearLr != null ? b.linearLr : d.linearLr();
        minWarmup = b.minWarmup;
        nominalBatch = b.nominalBatch;
        validate = b.validate;
        valBatch = b.valBatch;
        labelSmoothing = b.labelSmoothing;
        lr0 = b.lr0;
        cacheDir = b.cacheDir;
        dynamicThreshold = b.dynamicThreshold;
        valEvery = b.valEvery;
        autoanchor = b.autoanchor != null ? b.autoanchor : d.autoanchor();
        mirrorRoutes = b.mirrorRoutes;
        routerCriterion = b.routerCriterion;
        precision = b.precision != null ? b.precision : Precision.FLOAT32;
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        if (img < 32) throw new IllegalArgumentException("--img must be >= 32, got " + img);
        if (nominalBatch < 1) throw new IllegalArgumentException("nominal batch must be >= 1, got " + nominalBatch);
        if (valEvery < 1) throw new IllegalArgumentException("--val-every must be >= 1, got " + valEvery);
        if (minWarmup < 0)
            throw new IllegalArgumentException("minimum warmup iterations must be >= 0, got " + minWarmup);
    }

    public static TrainArgsBuilder builder() {
        return new TrainArgsBuilder();
    }

    /** A builder holding every setting of these arguments, for a run that differs in a few. */
    public TrainArgsBuilder toBuilder() {
        return new TrainArgsBuilder()
                .step(step)
                .model(model)
                .width(width)
                .data(data)
                .hyp(hyp)
                .epochs(epochs)
                .batch(batch)
                .img(img)
                .device(device)
                .workers(workers)
                .seed(seed)
                .weights(weights)
                .adam(adam)
                .linearLr(linearLr)
                .minWarmup(minWarmup)
                .nominalBatch(nominalBatch)
                .validate(validate)
                .valBatch(valBatch)
                .labelSmoothing(labelSmoothing)
                .lr0(lr0)
                .cacheDir(cacheDir)
                .dynamicThreshold(dynamicThreshold)
                .valEvery(valEvery)
                .autoanchor(autoanchor)
                .mirrorRoutes(mirrorRoutes)
                .routerCriterion(routerCriterion)
                .precision(precision);
    }

    public TrainingStep step() {
        return step;
    }

    public String model() {
        return model;
    }

    public Double width() {
        return width;
    }

    public String data() {
        return data;
    }

    public String hyp() {
        return hyp;
    }

    public int epochs() {
        return epochs;
    }

    public int batch() {
        return batch;
    }

    public int img() {
        return img;
    }

    public String device() {
        return device;
    }

    public int workers() {
        return workers;
    }

    public long seed() {
        return seed;
    }

    public String weights() {
        return weights;
    }

    public boolean adam() {
        return adam;
    }

    public boolean linearLr() {
        return linearLr;
    }

    public int minWarmup() {
        return minWarmup;
    }

    public int nominalBatch() {
        return nominalBatch;
    }

    public boolean validate() {
        return validate;
    }

    public int valBatch() {
        return valBatch;
    }

    public double labelSmoothing() {
        return labelSmoothing;
    }

    public Double lr0() {
        return lr0;
    }

    public String cacheDir() {
        return cacheDir;
    }

    public double dynamicThreshold() {
        return dynamicThreshold;
    }

    public int valEvery() {
        return valEvery;
    }

    public boolean autoanchor() {
        return autoanchor;
    }

    public boolean mirrorRoutes() {
        return mirrorRoutes;
    }
    /** Null: the original's loss criterion, as {@link RouterCriterion#LOSS}. */
    public RouterCriterion routerCriterion() {
        return routerCriterion;
    }

    /** The number format of the training passes (fp32, or bf16 mixed precision). */
    public Precision precision() {
        return precision;
    }

    /** Step 2 trains on each image's contribution to the set's AP instead of the loss gap. */
    public boolean apCriterion() {
        return routerCriterion == RouterCriterion.AP;
    }

    public TrainArgs withEpochs(int n) {
        return toBuilder().epochs(n).build();
    }

    /** The settings by args.yaml's keys, in its order; the step and criterion as spelled on the command line. */
    private Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step.id());
        m.put("model", model);
        m.put("width", width);
        m.put("data", data);
        m.put("hyp", hyp);
        m.put("epochs", epochs);
        m.put("batch", batch);
        m.put("img", img);
        m.put("device", device);
        m.put("workers", workers);
        m.put("seed", seed);
        m.put("weights", weights);
        m.put("adam", adam);
        m.put("linearLr", linearLr);
        m.put("minWarmup", minWarmup);
        m.put("nominalBatch", nominalBatch);
        m.put("validate", validate);
        m.put("valBatch", valBatch);
        m.put("labelSmoothing", labelSmoothing);
        m.put("lr0", lr0);
        m.put("cacheDir", cacheDir);
        m.put("dynamicThreshold", dynamicThreshold);
        m.put("valEvery", valEvery);
        m.put("autoanchor", autoanchor);
        m.put("mirrorRoutes", mirrorRoutes);
        m.put("routerCriterion", routerCriterion == null ? null : routerCriterion.id());
        m.put("precision", precision.cliName());
        return m;
    }

    public String toYaml() {
        try {
            return YAML.writeValueAsString(toMap());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static TrainArgs read(Path file) throws IOException {
        JsonNode tree;
        try {
            tree = YAML.readTree(file.toFile());
        } catch (java.io.FileNotFoundException e) {
            throw new IOException(file + " does not exist: is this a dydet training run folder?");
        } catch (IOException e) {
            throw new IOException(file + ": cannot read the run's arguments: " + e.getMessage(), e);
        }
        try {
            return fromTree(tree);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": cannot read the run's arguments: " + e.getMessage(), e);
        }
    }

    /** Keys left out keep the builder's defaults; keys this version does not know are ignored. */
    private static TrainArgs fromTree(JsonNode t) {
        if (t == null || !t.isObject()) throw new IllegalArgumentException("not a mapping of settings");
        TrainArgsBuilder b = builder();
        if (t.hasNonNull("step")) b.step(TrainingStep.parse(value(t, "step", String.class)));
        if (t.has("model")) b.model(value(t, "model", String.class));
        if (t.has("width")) b.width(value(t, "width", Double.class));
        if (t.has("data")) b.data(value(t, "data", String.class));
        if (t.has("hyp")) b.hyp(value(t, "hyp", String.class));
        if (t.hasNonNull("epochs")) b.epochs(value(t, "epochs", Integer.class));
        if (t.hasNonNull("batch")) b.batch(value(t, "batch", Integer.class));
        if (t.hasNonNull("img")) b.img(value(t, "img", Integer.class));
        if (t.has("device")) b.device(value(t, "device", String.class));
        if (t.hasNonNull("workers")) b.workers(value(t, "workers", Integer.class));
        if (t.hasNonNull("seed")) b.seed(value(t, "seed", Long.class));
        if (t.has("weights")) b.weights(value(t, "weights", String.class));
        if (t.hasNonNull("adam")) b.adam(value(t, "adam", Boolean.class));
        if (t.hasNonNull("linearLr")) b.linearLr(value(t, "linearLr", Boolean.class));
        if (t.hasNonNull("minWarmup")) b.minWarmup(value(t, "minWarmup", Integer.class));
        if (t.hasNonNull("nominalBatch")) b.nominalBatch(value(t, "nominalBatch", Integer.class));
        if (t.hasNonNull("validate")) b.validate(value(t, "validate", Boolean.class));
        if (t.hasNonNull("valBatch")) b.valBatch(value(t, "valBatch", Integer.class));
        if (t.hasNonNull("labelSmoothing")) b.labelSmoothing(value(t, "labelSmoothing", Double.class));
        if (t.has("lr0")) b.lr0(value(t, "lr0", Double.class));
        if (t.has("cacheDir")) b.cacheDir(value(t, "cacheDir", String.class));
        if (t.hasNonNull("dynamicThreshold")) b.dynamicThreshold(value(t, "dynamicThreshold", Double.class));
        if (t.hasNonNull("valEvery")) b.valEvery(value(t, "valEvery", Integer.class));
        if (t.hasNonNull("autoanchor")) b.autoanchor(value(t, "autoanchor", Boolean.class));
        if (t.hasNonNull("mirrorRoutes")) b.mirrorRoutes(value(t, "mirrorRoutes", Boolean.class));
        if (t.has("routerCriterion"))
            b.routerCriterion(RouterCriterion.parse(value(t, "routerCriterion", String.class)));
        if (t.hasNonNull("precision")) b.precision(Precision.parse(value(t, "precision", String.class)));
        return b.build();
    }

    private static <T> T value(JsonNode tree, String key, Class<T> type) {
        try {
            return YAML.convertValue(tree.get(key), type);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + key + "': " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainArgs a && toMap().equals(a.toMap());
    }

    @Override
    public int hashCode() {
        return Objects.hash(toMap());
    }

    @Override
    public String toString() {
        return "TrainArgs" + toMap();
    }
}
