package io.dydet.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The settings of a training run as the user gave them; written to the run's args.yaml and read back by
 * {@code --resume}. Paths are kept as given (absolute after resolution by the CLI).
 *
 * @param model          a built-in model name or a cfg file
 * @param width          width multiple for built-in models (null: as defined)
 * @param hyp            a built-in hyp name or a hyp YAML file
 * @param weights        initial weights (by name and shape), or null to start from scratch
 * @param minWarmup      minimum warmup iterations (the original: 1000)
 * @param nominalBatch   gradients are accumulated up to this many images (the original: 64)
 * @param validate       per-epoch validation on the data set's val split
 * @param adam           Adam instead of SGD (step 2: AdamW)
 * @param linearLr       linear instead of cosine decay
 * @param dynamicThreshold step 2: the threshold of its per-epoch dynamic validation
 * @param valEvery       validate every this many epochs (and after the last); 1 = every epoch, as the original
 * @param autoanchor     step 1: check the anchors against the data set's boxes and evolve new ones when they fit badly
 * @param mirrorRoutes   step 1: start route 2 as a copy of route 1 with zero composite connections ({@link MirrorInit})
 * @param routerCriterion step 2: {@code loss} (null: the original's loss-based exit criterion, {@link RouterLoss}) or
 *                       {@code ap} (each image's contribution to the set's AP, {@link ApCriterion})
 */
public record TrainArgs(String step, String model, Double width, String data, String hyp, int epochs, int batch, int img, String device,
                        int workers, long seed, String weights, boolean adam, boolean linearLr, int minWarmup, int nominalBatch,
                        boolean validate, int valBatch, double labelSmoothing, Double lr0, String cacheDir, double dynamicThreshold,
                        int valEvery, boolean autoanchor, boolean mirrorRoutes, String routerCriterion) {
    private static final YAMLMapper YAML = (YAMLMapper) new YAMLMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public TrainArgs {
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        if (img < 32) throw new IllegalArgumentException("--img must be >= 32, got " + img);
        if (nominalBatch < 1) throw new IllegalArgumentException("nominal batch must be >= 1, got " + nominalBatch);
        if (valEvery < 1) throw new IllegalArgumentException("--val-every must be >= 1, got " + valEvery);
        if (minWarmup < 0) throw new IllegalArgumentException("minimum warmup iterations must be >= 0, got " + minWarmup);
        if (routerCriterion != null && !routerCriterion.equals(RouterLoss.CRITERION) && !routerCriterion.equals(ApCriterion.CRITERION)) {
            throw new IllegalArgumentException("--criterion must be " + RouterLoss.CRITERION + " or " + ApCriterion.CRITERION + ", got '" + routerCriterion + "'");
        }
    }

    /** Step 2 trains on each image's contribution to the set's AP instead of the loss gap. */
    public boolean apCriterion() {
        return ApCriterion.CRITERION.equals(routerCriterion);
    }

    public TrainArgs withEpochs(int n) {
        return new TrainArgs(step, model, width, data, hyp, n, batch, img, device, workers, seed, weights, adam, linearLr, minWarmup, nominalBatch,
                validate, valBatch, labelSmoothing, lr0, cacheDir, dynamicThreshold, valEvery, autoanchor, mirrorRoutes, routerCriterion);
    }

    public String toYaml() {
        try {
            return YAML.writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static TrainArgs read(Path file) throws IOException {
        try {
            return YAML.readValue(file.toFile(), TrainArgs.class);
        } catch (java.io.FileNotFoundException e) {
            throw new IOException(file + " does not exist: is this a dydet training run folder?");
        } catch (IOException e) {
            throw new IOException(file + ": cannot read the run's arguments: " + e.getMessage(), e);
        }
    }
}
