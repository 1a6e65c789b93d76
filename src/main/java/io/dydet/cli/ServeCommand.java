package io.dydet.cli;

import io.dydet.infer.Detector;
import io.dydet.serve.DetectionServer;
import io.dydet.serve.ServeSettings;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description = {
            "HTTP detection service: POST /v1/detect, GET /v1/model, /healthz, /readyz, /metrics and a web page at /.",
            "Concurrent requests are micro-batched; every image in a batch takes its own route.",
            "--conf, --iou and the router options are defaults: each request may set conf, iou, classes, easy_ratio or dy_thres.",
            "Stops gracefully on Ctrl-C or SIGTERM: requests in flight finish, new ones get 503."
        })
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    BackendOption backend;

    @Mixin
    ThresholdOptions threshold;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "address to bind; 0.0.0.0 for every interface (default ${DEFAULT-VALUE})")
    String host;

    @Option(
            names = "--port",
            defaultValue = "8080",
            description = "TCP port, 0 for any free one (default ${DEFAULT-VALUE})")
    int port;

    @Mixin
    DetectorOptions detectorOptions;

    @Option(
            names = "--max-batch",
            defaultValue = "8",
            description = "images per forward pass; 1 turns micro-batching off (default ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(
            names = "--max-wait-ms",
            defaultValue = "5",
            description = "how long a batch waits for more images (default ${DEFAULT-VALUE})")
    int maxWaitMs;

    @Option(names = "--workers", defaultValue = "1", description = "batches run at once (default ${DEFAULT-VALUE})")
    int workers;

    @Option(
            names = "--queue-depth",
            defaultValue = "64",
            description = "images waiting for a batch before requests get 503 (default ${DEFAULT-VALUE})")
    int queueDepth;

    @Option(
            names = "--timeout-ms",
            defaultValue = "30000",
            description = "per-request timeout, 504 beyond (default ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(
            names = "--max-body-mb",
            defaultValue = "32",
            description = "largest request body in MiB, 413 beyond (default ${DEFAULT-VALUE})")
    long maxBodyMb;

    @Option(
            names = "--max-images",
            defaultValue = "32",
            description = "most images in one multipart request (default ${DEFAULT-VALUE})")
    int maxImages;

    @Option(
            names = "--max-pixels",
            defaultValue = "40000000",
            description = "largest image in pixels, 422 beyond (default ${DEFAULT-VALUE})")
    long maxPixels;

    @Option(
            names = "--access-log",
            description = "log one line per request (client, method, path, status, ms) to stderr")
    boolean accessLog;

    @Override
    public Integer call() throws Exception {
        if (accessLog)
            System.setProperty(
                    "org.slf4j.simpleLogger.log.dydet.access", "info"); // read when that logger is first made
        ServeSettings settings = ServeSettings.defaults()
                .withAddress(host, port)
                .withBatching(maxBatch, maxWaitMs, workers)
                .withLimits(queueDepth, timeoutMs, maxBodyMb << 20, maxImages, maxPixels);
        // --conf, --iou and the threshold options are the defaults; each request may set its own
        Detector.Builder b = backend.apply(detectorOptions.builder(modelOptions, runtime, threshold))
                .batchSize(maxBatch)
                .pixelLimit(maxPixels);
        try (Detector detector = b.build();
                DetectionServer server = DetectionServer.start(detector, settings)) {
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "dydet-shutdown"));
            System.out.printf(
                    "dydet serve: %s (%s, %d px, router threshold %.4f, batches of up to %d within %d ms, %s %s)%n",
                    server.uri(),
                    detector.artifact().modelName(),
                    detector.imageSize(),
                    detector.routerThreshold(),
                    maxBatch,
                    maxWaitMs,
                    detector.backend().cliName(),
                    detector.precision().cliName());
            System.out.println("  POST " + server.uri()
                    + "v1/detect   GET /v1/model  /healthz  /readyz  /metrics   web page: " + server.uri());
            server.awaitClosed();
            return 0;
        }
    }
}
