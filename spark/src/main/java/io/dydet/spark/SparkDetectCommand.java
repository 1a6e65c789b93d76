package io.dydet.spark;

import io.dydet.cli.BackendOption;
import io.dydet.cli.DetectorOptions;
import io.dydet.cli.ExitCodes;
import io.dydet.cli.ModelOptions;
import io.dydet.cli.RuntimeOptions;
import io.dydet.cli.ThresholdOptions;
import io.dydet.model.RouterSetting;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dydet spark-detect}: detection as a Spark job, locally ({@code --master local[N]}) or as the main class of
 * spark-submit on a cluster (then without --master: spark-submit's setting applies).
 */
@Command(
        name = "spark-detect",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {
            ExitCodes.SUCCESS,
            "1:failure (a bad input, model or setting, or a failed job; the message says which)",
            ExitCodes.USAGE,
            "3:some images failed (rows with an error)"
        },
        description = {
            "Detect objects in many images with Apache Spark: one row per image (the fields of detections.json) as",
            "Parquet or JSON lines in OUT/detections, totals in OUT/summary.json. Bad images are rows with an error."
        })
public final class SparkDetectCommand implements Callable<Integer> {
    @Option(
            names = "--source",
            required = true,
            paramLabel = "DIR|GLOB|LIST.txt",
            description = "images: a folder, a glob or a list file")
    String source;

    @Option(
            names = {"-o", "--out"},
            required = true,
            paramLabel = "DIR",
            description = "output folder, local or a URI such as hdfs://... (must not hold detections/ yet)")
    String out;

    @Option(
            names = "--format",
            defaultValue = "parquet",
            description = "parquet or json (JSON lines; default ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--master", description = "Spark master, e.g. local[2]; default: spark-submit's, else local[*]")
    String master;

    @Option(
            names = "--partitions",
            defaultValue = "0",
            description = "partitions of the image list (default: the default parallelism)")
    int partitions;

    // the options of dydet detect, from the same classes, so both commands spell and document them alike
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    DetectorOptions detectorOptions;

    @Mixin
    ThresholdOptions threshold;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    BackendOption backend;

    @Option(
            names = {"--batch", "--batch-size"},
            paramLabel = "N",
            defaultValue = "8",
            description = "images per forward pass (default ${DEFAULT-VALUE})")
    int batch;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command and returns the exit code (2 for usage errors, 1 for failures). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new SparkDetectCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof IOException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 1;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    /** The settings the executors build their detectors from. */
    SparkDetectSettings settings() throws IOException {
        Path weights = modelOptions.requireWeights();
        if (modelOptions.width != null || modelOptions.classes != null)
            throw new IllegalArgumentException(
                    "spark-detect takes the model as the weights file or --model/--cfg describe it; drop --width/--nc");
        if (!runtime.device.equals("cpu"))
            throw new IllegalArgumentException(
                    "spark-detect runs on the executors' CPUs; drop --device " + runtime.device);
        RouterSetting router = threshold.setting();
        SparkDetectSettings.RouterMode mode;
        double value;
        if (router instanceof RouterSetting.EasyRatio e) {
            mode = SparkDetectSettings.RouterMode.EASY_RATIO;
            value = e.ratio();
        } else if (router instanceof RouterSetting.Threshold t) {
            mode = SparkDetectSettings.RouterMode.THRESHOLD;
            value = t.value();
        } else {
            throw new IllegalArgumentException("spark-detect routes by --dy-thres or --easy-ratio");
        }
        if (backend.force) throw new IllegalArgumentException("--force is not carried to the executors");
        SparkDetectSettings s = SparkDetectSettings.of(weights.toAbsolutePath().toString())
                .withDetect(
                        detectorOptions.img == null ? 0 : detectorOptions.img,
                        detectorOptions.conf,
                        detectorOptions.iou,
                        batch,
                        runtime.threads,
                        backend.get())
                .withPrecision(backend.precision())
                .withRouter(mode, value);
        if (modelOptions.model != null && modelOptions.cfg != null)
            throw new IllegalArgumentException("give either --model or --cfg, not both");
        if (modelOptions.model != null) s = s.withDefinition(modelOptions.model);
        if (modelOptions.cfg != null)
            s = s.withDefinition(SparkDetectSettings.definitionOf(modelOptions.cfg.toString()));
        return s;
    }

    @Override
    public Integer call() throws Exception {
        SparkDetectSettings s = settings();
        SparkSession.Builder b = SparkSession.builder().appName("dydet spark-detect");
        if (master != null) b.master(master);
        else if (!new SparkConf().contains("spark.master")) b.master("local[*]");
        SparkSession spark = b.getOrCreate();
        try {
            spark.sparkContext().setLogLevel("WARN");
            SparkDetect.Summary r = SparkDetect.run(spark, source, out, format, partitions, s);
            long ok = r.images() - r.failed();
            System.out.printf(
                    "%d images (%d failed): route 1 %.1f%%, route 2 %.1f%%; %.2f images/s over %.1f s%n",
                    r.images(),
                    r.failed(),
                    ok == 0 ? 0 : 100.0 * r.route1() / ok,
                    ok == 0 ? 0 : 100.0 * r.route2() / ok,
                    r.imagesPerSecond(),
                    r.seconds());
            System.out.println("results in " + r.output() + " (" + format + "), totals in summary.json beside it");
            return r.failed() > 0 ? 3 : 0;
        } finally {
            spark.stop();
        }
    }
}
