package io.dydet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.dydet.data.Sources;
import io.dydet.files.AtomicFile;
import io.dydet.infer.Detector;
import io.dydet.json.Json;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.serve.LoadTest;
import io.dydet.serve.ServeBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "serve-benchmark",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {
            ExitCodes.SUCCESS,
            ExitCodes.FAILURE,
            ExitCodes.USAGE,
            "3:some requests failed (counted in the errors column)"
        },
        description = {
            "Load-test dydet serve on loopback: requests/s and p50/p99 latency per number of concurrent clients,",
            "with micro-batching and without it. Without --weights, a built-in --model with initialised weights (speed only)."
        })
final class ServeBenchmarkCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    BackendOption backend;

    @Option(
            names = "--source",
            required = true,
            paramLabel = "FILE|DIR|GLOB|LIST.txt",
            description = "images to send (cycled)")
    String source;

    @Option(
            names = "--images",
            defaultValue = "64",
            description = "use at most this many of them (default ${DEFAULT-VALUE})")
    int images;

    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description = "letterbox size (default: the model file's, else 640; 1280 for W6)")
    Integer img;

    @Option(
            names = "--clients",
            split = ",",
            defaultValue = "1,4,16",
            description = "concurrent clients per level (default ${DEFAULT-VALUE})")
    List<Integer> clients;

    @Option(
            names = "--seconds",
            defaultValue = "20",
            description = "measured time per level (default ${DEFAULT-VALUE})")
    int seconds;

    @Option(
            names = "--warmup-seconds",
            defaultValue = "5",
            description = "unmeasured load before each level (default ${DEFAULT-VALUE})")
    int warmupSeconds;

    @Option(
            names = "--max-batch",
            defaultValue = "8",
            description = "max batch of the batching mode (default ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(
            names = "--max-wait-ms",
            defaultValue = "5",
            description = "max wait of the batching mode (default ${DEFAULT-VALUE})")
    int maxWaitMs;

    @Option(
            names = {"-o", "--out"},
            paramLabel = "FILE",
            description = "write the results as JSON")
    Path out;

    @Override
    public Integer call() throws Exception {
        runtime.start();
        List<Path> files = Sources.resolve(source).stream().limit(images).toList();
        List<LoadTest.Body> bodies = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
            bodies.add(new LoadTest.Body(Files.readAllBytes(f), name.endsWith(".png") ? "image/png" : "image/jpeg"));
        }
        ModelSpec spec = modelOptions.spec();
        Path weights = modelOptions.weights;
        if (weights == null) {
            int size = img != null ? img : ModelOptions.defaultImageSize(Network.build(spec));
            weights = Files.createTempFile("dydet-serve-benchmark", ".safetensors");
            weights.toFile().deleteOnExit();
            ModelFiles.writeInitialized(weights, spec, size, 0);
            spec = null;
        }
        Path w = weights;
        ModelSpec s = spec;
        ServeBenchmark.DetectorFactory detectors = () -> {
            Detector.Builder b = backend.apply(Detector.builder()
                    .weights(w)
                    .model(s)
                    .device(runtime.device)
                    .threads(runtime.threads)
                    .batchSize(Math.max(1, maxBatch)));
            if (img != null) b.imageSize(img);
            return b.build();
        };
        System.out.printf(
                "%-12s %8s %9s %7s %9s %9s %9s %10s%n",
                "mode", "clients", "requests", "errors", "req/s", "p50 ms", "p99 ms", "mean batch");
        List<ServeBenchmark.Row> rows = ServeBenchmark.run(
                detectors,
                bodies,
                clients,
                Duration.ofSeconds(warmupSeconds),
                Duration.ofSeconds(seconds),
                maxBatch,
                maxWaitMs,
                r -> System.out.printf(
                        "%-12s %8d %9d %7d %9.2f %9.1f %9.1f %10.2f%n",
                        r.batching() ? "batch<=" + r.maxBatch() : "no batching",
                        r.result().clients(),
                        r.result().requests(),
                        r.result().errors(),
                        r.result().requestsPerSecond(),
                        r.result().p50Ms(),
                        r.result().p99Ms(),
                        r.result().meanBatch()));
        if (out != null) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put(
                    "weights",
                    modelOptions.weights == null
                            ? "initialised " + modelOptions.model
                            : modelOptions.weights.toString());
            json.put("images", files.size());
            json.put("threads", runtime.threads);
            json.put("backend", backend.get().cliName());
            json.put("precision", backend.precision().cliName());
            json.put("seconds_per_level", seconds);
            json.put("rows", rows);
            ObjectMapper mapper = Json.PRETTY.copy().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
            AtomicFile.write(out, o -> mapper.writeValue(o, json));
            System.out.println("results in " + out);
        }
        return rows.stream().anyMatch(r -> r.result().errors() > 0) ? 3 : 0;
    }
}
