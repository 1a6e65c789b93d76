package io.dydet.train;

import io.dydet.model.Precision;
import java.util.Objects;

/** {@link TrainArgs} by name: named settings with the command line's defaults; the step's own defaults apply to what is left unset when built. */
public final class TrainArgsBuilder {
    TrainingStep step = TrainingStep.DETECTOR;
    String model = "dy-yolov7";
    Double width;
    String data;
    String hyp;
    Integer epochs;
    Integer batch;
    int img = 640;
    String device = "cpu";
    int workers = 2;
    long seed;
    String weights;
    Boolean adam;
    Boolean linearLr;
    int minWarmup = 1000;
    int nominalBatch = 64;
    boolean validate = true;
    int valBatch = 32;
    double labelSmoothing;
    Double lr0;
    String cacheDir;
    double dynamicThreshold = 0.5;
    int valEvery = 1;
    Boolean autoanchor;
    boolean mirrorRoutes;
    RouterCriterion routerCriterion;
    Precision precision;

    TrainArgsBuilder() {}

    public TrainArgsBuilder step(TrainingStep v) {
        step = Objects.requireNonNull(v, "step");
        return this;
    }

    public TrainArgsBuilder model(String v) {
        model = v;
        return this;
    }

    public TrainArgsBuilder width(Double v) {
        width = v;
        return this;
    }

    public TrainArgsBuilder data(String v) {
        data = v;
        return this;
    }
    /** Null: the step's default. */
    public TrainArgsBuilder hyp(String v) {
        hyp = v;
        return this;
    }

    public TrainArgsBuilder epochs(int v) {
        epochs = v;
        return this;
    }

    public TrainArgsBuilder batch(int v) {
        batch = v;
        return this;
    }

    public TrainArgsBuilder img(int v) {
        img = v;
        return this;
    }

    public TrainArgsBuilder device(String v) {
        device = v;
        return this;
    }

    public TrainArgsBuilder workers(int v) {
        workers = v;
        return this;
    }

    public TrainArgsBuilder seed(long v) {
        seed = v;
        return this;
    }

    public TrainArgsBuilder weights(String v) {
        weights = v;
        return this;
    }

    public TrainArgsBuilder adam(boolean v) {
        adam = v;
        return this;
    }

    public TrainArgsBuilder linearLr(boolean v) {
        linearLr = v;
        return this;
    }

    public TrainArgsBuilder minWarmup(int v) {
        minWarmup = v;
        return this;
    }

    public TrainArgsBuilder nominalBatch(int v) {
        nominalBatch = v;
        return this;
    }

    public TrainArgsBuilder validate(boolean v) {
        validate = v;
        return this;
    }

    public TrainArgsBuilder valBatch(int v) {
        valBatch = v;
        return this;
    }

    public TrainArgsBuilder labelSmoothing(double v) {
        labelSmoothing = v;
        return this;
    }

    public TrainArgsBuilder lr0(Double v) {
        lr0 = v;
        return this;
    }

    public TrainArgsBuilder cacheDir(String v) {
        cacheDir = v;
        return this;
    }

    public TrainArgsBuilder dynamicThreshold(double v) {
        dynamicThreshold = v;
        return this;
    }

    public TrainArgsBuilder valEvery(int v) {
        valEvery = v;
        return this;
    }

    public TrainArgsBuilder autoanchor(boolean v) {
        autoanchor = v;
        return this;
    }

    public TrainArgsBuilder mirrorRoutes(boolean v) {
        mirrorRoutes = v;
        return this;
    }

    /** fp32 (the default) or bf16 mixed precision. */
    public TrainArgsBuilder precision(Precision v) {
        precision = v;
        return this;
    }

    public TrainArgsBuilder routerCriterion(RouterCriterion v) {
        routerCriterion = v;
        return this;
    }

    public TrainArgs build() {
        return new TrainArgs(this);
    }
}
