package io.dydet.spark;

import io.dydet.data.ImageException;
import io.dydet.data.Images;
import io.dydet.infer.Detector;
import io.dydet.infer.ImageDetections;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.opencv.core.Mat;

/**
 * Detection over one partition: images are taken a chunk at a time (so a partition never sits in memory whole),
 * decoded (from the row's bytes, or read from its path), and run through the executor's shared detector, which
 * batches equal letterboxed shapes and routes each image. An image that cannot be used becomes a row with an error.
 */
final class DetectPartition implements MapPartitionsFunction<Row, Row> {
    /**
     * Test hook: the first attempt of this partition fails after its first image (-1: never), to show that a retried
     * task leaves each image once. Read when the job is planned, so it travels to the executors with the task.
     */
    static volatile int failFirstAttemptOfPartition = -1;

    private final SparkDetectSettings settings;
    private final ModelShipment model;
    private final int failPartition;

    DetectPartition(SparkDetectSettings settings, ModelShipment model) {
        this.settings = settings;
        this.model = model;
        this.failPartition = failFirstAttemptOfPartition;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        Detector detector = ExecutorDetectors.get(settings, model);
        int chunk = Math.max(16, 2 * settings.batch());
        TaskContext task = TaskContext.get();
        boolean fail = task != null && task.partitionId() == failPartition && task.attemptNumber() == 0;
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();
            private int emitted;

            @Override
            public boolean hasNext() {
                while (ready.isEmpty() && input.hasNext()) {
                    List<Row> rows = new ArrayList<>(chunk);
                    while (rows.size() < chunk && input.hasNext()) rows.add(input.next());
                    ready.addAll(detect(detector, rows));
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                if (fail && emitted == 1)
                    throw new IllegalStateException(
                            "injected failure: first attempt of partition " + task.partitionId());
                emitted++;
                return ready.poll();
            }
        };
    }

    private List<Row> detect(Detector detector, List<Row> rows) {
        Row[] out = new Row[rows.size()];
        List<Mat> mats = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        try {
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                String file = r.getString(r.fieldIndex("path"));
                try {
                    mats.add(decode(r, file));
                    labels.add(file);
                    index.add(i);
                } catch (ImageException | RuntimeException e) {
                    out[i] = DetectRows.failed(file, e.getMessage() == null ? e.toString() : e.getMessage());
                }
            }
            if (!mats.isEmpty()) {
                List<ImageDetections> done = detector.detectDecoded(mats, labels);
                for (int k = 0; k < done.size(); k++) out[index.get(k)] = DetectRows.of(labels.get(k), done.get(k));
            }
        } finally {
            for (Mat m : mats) m.release();
        }
        return List.of(out);
    }

    private static Mat decode(Row r, String file) throws ImageException {
        int content = Arrays.asList(r.schema().fieldNames()).indexOf("content");
        if (content >= 0 && !r.isNullAt(content))
            return Images.decode((byte[]) r.get(content), file, Images.DEFAULT_PIXEL_LIMIT);
        return Images.read(localPath(file), Images.DEFAULT_PIXEL_LIMIT);
    }

    static Path localPath(String file) {
        return file.startsWith("file:") ? Path.of(URI.create(file)) : Path.of(file);
    }
}
