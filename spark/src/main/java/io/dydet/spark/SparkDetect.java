package io.dydet.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.data.Sources;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * dydet on Apache Spark: images in (a folder, a glob, a list file, or any frame with a {@code path} column and
 * optionally the bytes in {@code content}, as Spark's binaryFile source gives them), one row per image out with the
 * fields of {@code detections.json}, written as Parquet or JSON lines through Spark's committer, so a retried task
 * leaves no duplicate rows.
 */
public final class SparkDetect {
    /** Totals of a job. */
    public record Summary(
            long images, long route1, long route2, long failed, double seconds, double imagesPerSecond, String output) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            long ok = images - failed;
            m.put("images", images);
            m.put("failed", failed);
            m.put("route1", route1);
            m.put("route2", route2);
            m.put("route1_share", ok == 0 ? 0 : (double) route1 / ok);
            m.put("route2_share", ok == 0 ? 0 : (double) route2 / ok);
            m.put("seconds", seconds);
            m.put("images_per_second", imagesPerSecond);
            m.put("output", output);
            return m;
        }
    }

    private static final String IMAGE_PATTERN = "(?i)\\.(" + String.join("|", Sources.IMAGE_EXTENSIONS) + ")$";
    /** The same extensions as a case-sensitive Hadoop glob, lower and upper case. */
    private static final String IMAGE_GLOB = "*.{"
            + String.join(
                    ",",
                    Sources.IMAGE_EXTENSIONS.stream()
                            .flatMap(e -> Stream.of(e, e.toUpperCase(Locale.ROOT)))
                            .sorted()
                            .toList())
            + "}";

    private SparkDetect() {}

    /**
     * The images of a source: a folder (its image files) or a glob, read through Spark's binaryFile source (any file
     * system Spark reads: local, HDFS, S3; the bytes travel in the frame), or a list file ({@code .txt}, one path per
     * line, which every executor must be able to open: a local or network file system). {@code partitions} > 0
     * repartitions the images; 0 keeps Spark's split unless it has fewer partitions than the default parallelism
     * (a small set would otherwise leave cores idle).
     */
    public static Dataset<Row> images(SparkSession spark, String source, int partitions) throws IOException {
        int n = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
        if (source.toLowerCase(Locale.ROOT).endsWith(".txt") && Files.isRegularFile(Path.of(source))) {
            List<Row> rows = new ArrayList<>();
            Path list = Path.of(source);
            int line = 0;
            for (String l : Files.readAllLines(list)) {
                line++;
                String p = l.strip();
                if (p.isEmpty() || p.startsWith("#")) continue;
                Path file = Path.of(p);
                if (!file.isAbsolute()) file = list.toAbsolutePath().getParent().resolve(file);
                rows.add(RowFactory.create(file.toString()));
            }
            if (rows.isEmpty()) throw new IOException(source + ": no image paths (one per line expected)");
            return spark.createDataFrame(
                            rows,
                            DataTypes.createStructType(
                                    List.of(DataTypes.createStructField("path", DataTypes.StringType, false))))
                    .repartition(Math.min(n, rows.size()));
        }
        // the glob filter stops binaryFile before it reads other files' bytes (a video over 2 GB would fail the job)
        Dataset<Row> files = spark.read()
                .format("binaryFile")
                .option("pathGlobFilter", IMAGE_GLOB)
                .load(source)
                .select("path", "content")
                .filter(functions.col("path").rlike(IMAGE_PATTERN));
        if (partitions > 0 || files.rdd().getNumPartitions() < n) return files.repartition(n);
        return files;
    }

    /** Detections for every row of a frame with a {@code path} (and optionally a binary {@code content}) column. */
    public static Dataset<Row> detect(Dataset<Row> images, SparkDetectSettings settings) {
        if (!List.of(images.columns()).contains("path"))
            throw new IllegalArgumentException("the frame needs a 'path' column; it has " + List.of(images.columns()));
        ModelShipment model = ModelShipment.of(images.sparkSession(), Path.of(settings.modelFile()));
        return images.mapPartitions(new DetectPartition(settings, model), Encoders.row(DetectRows.SCHEMA));
    }

    /**
     * The whole job: detect, write {@code out/detections} (parquet or json), then {@code out/summary.json}, on any
     * file system Spark writes to (a local folder, hdfs://, s3a://, ...). The model file is shipped to the executors
     * with the job.
     */
    public static Summary run(
            SparkSession spark, String source, String out, String format, int partitions, SparkDetectSettings settings)
            throws IOException {
        if (!format.equals("parquet") && !format.equals("json"))
            throw new IllegalArgumentException("format must be parquet or json, got " + format);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path outDir = new org.apache.hadoop.fs.Path(out);
        FileSystem fs = outDir.getFileSystem(conf);
        org.apache.hadoop.fs.Path targetPath = fs.makeQualified(new org.apache.hadoop.fs.Path(outDir, "detections"));
        String target = targetPath.toString();
        if (fs.exists(targetPath)) throw new IOException(target + " exists; choose another --out");
        long t0 = System.nanoTime();
        Dataset<Row> rows = detect(images(spark, source, partitions), settings);
        rows.write().mode(SaveMode.ErrorIfExists).format(format).save(target);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Dataset<Row> written =
                spark.read().schema(DetectRows.SCHEMA).format(format).load(target);
        Row totals = written.agg(
                        functions.count(functions.lit(1)),
                        functions.count(functions.col("error")),
                        functions.sum(functions
                                .when(functions.col("route").equalTo(1), 1)
                                .otherwise(0)),
                        functions.sum(functions
                                .when(functions.col("route").equalTo(2), 1)
                                .otherwise(0)))
                .first();
        long images = totals.getLong(0), failed = totals.getLong(1);
        long r1 = totals.isNullAt(2) ? 0 : totals.getLong(2), r2 = totals.isNullAt(3) ? 0 : totals.getLong(3);
        Summary s = new Summary(images, r1, r2, failed, seconds, images / seconds, target);
        byte[] summary = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(s.toJson());
        // written beside the detections, whole or not at all: a temporary name, then a rename
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(outDir, ".summary.json.part"),
                done = new org.apache.hadoop.fs.Path(outDir, "summary.json");
        try (OutputStream o = fs.create(tmp, true)) {
            o.write(summary);
        }
        fs.delete(done, false);
        if (!fs.rename(tmp, done)) throw new IOException("cannot rename " + tmp + " to " + done);
        return s;
    }
}
