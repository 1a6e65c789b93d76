package io.dydet.spark;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dydet spark-detect}: detection as a Spark job, locally ({@code --master local[N]}) or as the main class of
 * spark-submit on a cluster (then without --master: spark-submit's setting applies).
 */
@Command(name = "spark-detect", mixinStandardHelpOptions = true,
        description = {"Detect objects in many images with Apache Spark: one row per image (the fields of detections.json) as",
                "Parquet or JSON lines in OUT/detections, totals in OUT/summary.json. Bad images are rows with an error."})
public final class SparkDetectCommand implements Callable<Integer> {
    @Option(names = "--source", required = true, paramLabel = "DIR|GLOB|LIST.txt", description = "images: a folder, a glob or a list file")
    String source;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder, local or a URI such as hdfs://... (must not hold detections/ yet)")
    String out;

    @Option(names = "--format", defaultValue = "parquet", description = "parquet or json (JSON lines; default ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--master", description = "Spark master, e.g. local[2]; default: spark-submit's, else local[*]")
    String master;

    @Option(names = "--partitions", defaultValue = "0", description = "partitions of the image list (default: the default parallelism)")
    int partitions;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "model file (shipped to the executors with the job)")
    String weights;

    @Option(names = {"--model", "--cfg"}, paramLabel = "NAME|FILE", description = "definition, for weights that carry none")
    String definition;

    @Option(names = "--img", defaultValue = "0", description = "letterbox size (default: the model file's)")
    int img;

    @Option(names = "--conf", defaultValue = "0.25", description = "confidence threshold (default ${DEFAULT-VALUE})")
    float conf;

    @Option(names = "--iou", defaultValue = "0.45", description = "NMS IoU threshold (default ${DEFAULT-VALUE})")
    float iou;

    @Option(names = "--dy-thres", defaultValue = "0.5", description = "router threshold (default ${DEFAULT-VALUE})")
    double dyThres;

    @Option(names = "--easy-ratio", description = "share of images on route 1, from the model's calibration (instead of --dy-thres)")
    Double easyRatio;

    @Option(names = "--batch", defaultValue = "8", description = "images per forward pass (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--threads", defaultValue = "0", description = "intra-op threads per executor (default: all cores)")
    int threads;

    @Option(names = "--backend", defaultValue = "torch", description = "torch or onnxruntime (default ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--precision", defaultValue = "fp32", description = "fp32 or bf16 (torch backend; default ${DEFAULT-VALUE})")
    String precision;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command and returns the exit code (2 for usage errors, 1 for failures). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new SparkDetectCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof java.io.IOException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 1;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        SparkDetectSettings s = SparkDetectSettings.of(Path.of(weights).toAbsolutePath().toString())
                .withDetect(img, conf, iou, batch, threads, io.dydet.infer.Backend.parse(backend))
                .withPrecision(io.dydet.model.Precision.parse(precision))
                .withRouter(easyRatio != null ? SparkDetectSettings.RouterMode.EASY_RATIO : SparkDetectSettings.RouterMode.THRESHOLD,
                        easyRatio != null ? easyRatio : dyThres);
        if (definition != null) s = s.withDefinition(SparkDetectSettings.definitionOf(definition));
        SparkSession.Builder b = SparkSession.builder().appName("dydet spark-detect");
        if (master != null) b.master(master);
        else if (!new org.apache.spark.SparkConf().contains("spark.master")) b.master("local[*]");
        SparkSession spark = b.getOrCreate();
        try {
            spark.sparkContext().setLogLevel("WARN");
            SparkDetect.Summary r = SparkDetect.run(spark, source, out, format, partitions, s);
            long ok = r.images() - r.failed();
            System.out.printf("%d images (%d failed): route 1 %.1f%%, route 2 %.1f%%; %.2f images/s over %.1f s%n", r.images(), r.failed(),
                    ok == 0 ? 0 : 100.0 * r.route1() / ok, ok == 0 ? 0 : 100.0 * r.route2() / ok, r.imagesPerSecond(), r.seconds());
            System.out.println("results in " + r.output() + " (" + format + "), totals in summary.json beside it");
            return r.failed() > 0 ? 3 : 0;
        } finally {
            spark.stop();
        }
    }
}
