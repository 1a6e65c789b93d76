package io.dydet.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.dydet.data.Sources;
import io.dydet.engine.Engines;
import io.dydet.engine.OperatorProfile;
import io.dydet.infer.Backend;
import io.dydet.infer.Detector;
import io.dydet.infer.EndToEndBenchmark;
import io.dydet.infer.LatencyBenchmark;
import io.dydet.infer.LatencyBenchmark.Timing;
import io.dydet.json.Json;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.Precision;
import io.dydet.model.Route;
import io.dydet.model.RoutedModel;
import io.dydet.train.TrainBenchmark;
import io.dydet.train.TrainingStep;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "benchmark",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description = "Model forward latency per route (median, min, max after warm-up) and images/s.")
final class BenchmarkCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    BackendOption backend;

    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description = "square input size (default: the model file's, else 640; 1280 for W6)")
    Integer img;

    @Option(
            names = {"--batch", "--batch-size"},
            paramLabel = "N",
            defaultValue = "1",
            description = "images per forward (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--fused", description = "fold BatchNorm, RepConv and implicit layers first, as deployment does")
    boolean fused;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed passes per route (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(
            names = "--runs",
            paramLabel = "N",
            description =
                    "timed passes per route (default 10); with --source, timed passes over the images after one warm-up pass (default 3)")
    Integer runs;

    @Option(
            names = "--train",
            description =
                    "time a training step instead (--step: step 1's forward of both routes, OTA loss, backward, SGD step, EMA; or step 2's) on a synthetic batch")
    boolean train;

    @Option(
            names = "--step",
            paramLabel = "detector|router",
            defaultValue = "detector",
            description =
                    "with --train: the training step to time: detector (step 1: both routes, OTA loss, SGD, EMA) or router (step 2: frozen detector, the router's exit-criterion loss, AdamW; needs a model with a router); default ${DEFAULT-VALUE}")
    String step;

    @Option(
            names = "--profile",
            paramLabel = "TRACE.json",
            description =
                    "with --train: record the last timed step with libtorch's operator profiler into this Chrome trace (open it in chrome://tracing or Perfetto) and print the operators taking the most time")
    Path profile;

    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Option(
            names = "--source",
            paramLabel = "FILE|DIR|GLOB|LIST.txt",
            description =
                    "end to end instead: decode, letterbox, model (per-image routing), NMS over these images; needs --weights")
    String source;

    @Mixin
    ThresholdOptions threshold;

    // the old name of --runs with --source
    @Option(names = "--rounds", hidden = true, paramLabel = "N")
    void rounds(int n) {
        runs = n;
    }

    private Integer endToEnd() throws Exception {
        if (modelOptions.weights == null) throw new IllegalArgumentException("--source needs --weights");
        int rounds = runs != null ? runs : 3;
        List<Path> files = Sources.resolve(source);
        Detector.Builder b = backend.apply(Detector.builder()
                .weights(modelOptions.weights)
                .model(modelOptions.spec())
                .device(runtime.device)
                .threads(runtime.threads)
                .router(threshold.setting())
                .batchSize(batch));
        if (img != null) b.imageSize(img);
        try (Detector d = b.build()) {
            EndToEndBenchmark.Result r = EndToEndBenchmark.run(d, files, rounds);
            if (json) {
                System.out.println(Json.PRETTY.writeValueAsString(r.toJson()));
            } else {
                System.out.printf(
                        "end to end over %d images x %d rounds, batch %d, %d threads, threshold %.4f%n",
                        files.size(), rounds, batch, Engines.threads(), d.routerThreshold());
                System.out.printf(
                        "images/s: median %.2f (rounds: %s); route 1 share %.1f%%; per image pre %.1f ms, model %.1f ms, NMS %.1f ms%n",
                        r.medianImagesPerSecond(),
                        r.imagesPerSecond(),
                        100 * r.route1Share(),
                        r.preMs(),
                        r.modelMs(),
                        r.nmsMs());
            }
        }
        return 0;
    }

    @Override
    public Integer call() throws Exception {
        if (source != null) return endToEnd();
        Device device = runtime.start();
        ModelSpec spec = modelOptions.spec();
        if (spec == null) spec = ModelFiles.describedSpec(modelOptions.weights);
        Network net = Network.build(spec);
        int size = modelOptions.imageSize(img, net);
        int runs = this.runs != null ? this.runs : 10;
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        try (NDManager root = NDManager.newBaseManager(device)) {
            DynamicDetModel model = modelOptions.weights != null
                    ? ModelFiles.load(modelOptions.weights, spec, root.newSubManager())
                    : DynamicDetModel.initialized(net, root.newSubManager(), 0);
            if (profile != null && !train)
                throw new IllegalArgumentException("--profile records a training step: add --train");
            if (train) {
                if (fused)
                    throw new IllegalArgumentException("--train measures the unfused training form; drop --fused");
                TrainingStep trainingStep = TrainingStep.parse(step);
                ProgressBar bar = json ? null : new ProgressBar("train step", warmup + runs);
                TrainBenchmark.Result r = TrainBenchmark.run(
                        model,
                        new TrainBenchmark.Settings(
                                trainingStep, batch, size, warmup, runs, backend.precision(), profile),
                        bar == null ? null : bar::update);
                if (bar != null) bar.finish();
                OperatorProfile operators = profile == null ? null : OperatorProfile.read(profile);
                if (json) {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("model", spec.name());
                    out.put("img", size);
                    out.put("batch", batch);
                    out.put("threads", Engines.threads());
                    out.put("median_s", r.medianSeconds());
                    out.put("min_s", r.minSeconds());
                    out.put("max_s", r.maxSeconds());
                    out.put("images_per_s", r.imagesPerSecond());
                    out.put("step", trainingStep.id());
                    out.put("precision", backend.precision().cliName());
                    out.put("peak_rss_bytes", r.peakResidentBytes());
                    out.put(
                            "phases_median_s",
                            Map.of(
                                    "forward", r.forwardSeconds(),
                                    "loss", r.lossSeconds(),
                                    "backward", r.backwardSeconds(),
                                    "optimizer_and_ema", r.optimizerSeconds()));
                    if (operators != null) out.put("operators", operators.top(40));
                    System.out.println(Json.PRETTY.writeValueAsString(out));
                } else {
                    System.out.printf(
                            "%s %s step (%s) at %dx%d, batch %d, %d threads: median %.3f s (min %.3f, max %.3f), %.2f images/s, peak resident memory %.2f GiB%n",
                            spec.name(),
                            trainingStep.id(),
                            backend.precision().cliName(),
                            size,
                            size,
                            batch,
                            Engines.threads(),
                            r.medianSeconds(),
                            r.minSeconds(),
                            r.maxSeconds(),
                            r.imagesPerSecond(),
                            r.peakResidentBytes() / (1024.0 * 1024 * 1024));
                    System.out.printf(
                            "phases (median s): forward %.3f, loss %.3f, backward %.3f, optimiser + EMA %.3f%n",
                            r.forwardSeconds(), r.lossSeconds(), r.backwardSeconds(), r.optimizerSeconds());
                    if (operators != null) printOperators(operators);
                }
                return 0;
            }
            Precision precision = backend.precision();
            if (backend.get() == Backend.ONNXRUNTIME && !fused)
                throw new IllegalArgumentException(
                        "--backend " + backend.backend + " runs the deploy form: add --fused");
            // the training form runs on torch only
            Backend chosen = fused ? backend.resolve(device) : Backend.TORCH.resolve(precision, device);
            if (precision != Precision.FLOAT32 && !fused)
                throw new IllegalArgumentException(
                        "--precision " + precision.cliName() + " runs the deploy form: add --fused");
            if (fused) model = model.fuse(root.newSubManager(), precision);
            Map<Route, Timing> timings = new LinkedHashMap<>();
            try (RoutedModel run = chosen.open(model)) {
                for (Route r : Route.values()) {
                    ProgressBar bar = json ? null : new ProgressBar("route " + r.number(), warmup + runs);
                    timings.put(
                            r,
                            LatencyBenchmark.run(
                                    run, r, batch, size, size, warmup, runs, bar == null ? null : bar::update));
                    if (bar != null) bar.finish();
                }
            }
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", spec.name());
                m.put("img", size);
                m.put("batch", batch);
                m.put("threads", Engines.threads());
                m.put("fused", fused);
                m.put("backend", chosen.cliName());
                m.put("precision", precision.cliName());
                m.put("device", device.toString());
                for (Route r : Route.values())
                    m.put("route" + r.number(), timings.get(r).toJson());
                System.out.println(Json.PRETTY.writeValueAsString(m));
            } else {
                System.out.printf(
                        "%s at %dx%d, batch %d, %d threads, %s, %s, %s, %s%n",
                        spec.name(),
                        size,
                        size,
                        batch,
                        Engines.threads(),
                        fused ? "fused" : "unfused",
                        device,
                        chosen.cliName(),
                        precision.cliName());
                System.out.printf("%-7s %10s %10s %10s %10s%n", "route", "median s", "min s", "max s", "images/s");
                for (Timing t : timings.values())
                    System.out.printf(
                            "%-7d %10.4f %10.4f %10.4f %10.2f%n",
                            t.route().number(), t.medianSeconds(), t.minSeconds(), t.maxSeconds(), t.imagesPerSecond());
            }
        }
        return 0;
    }

    private void printOperators(OperatorProfile operators) {
        System.out.printf(
                "operators of the profiled step (self time, %.1f ms in all; trace: %s):%n",
                operators.totalSelfMillis(), profile);
        for (OperatorProfile.Row row : operators.top(15)) {
            System.out.printf(
                    "  %-48s %9.1f ms %5.1f%% %6d calls%n",
                    row.name(), row.selfMillis(), 100 * row.selfMillis() / operators.totalSelfMillis(), row.calls());
        }
    }
}
