package io.dydet.eval;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Speed measurement of {@link CocoEvaluator} (not a test: no timed assertions anywhere). Synthetic data: 5,000
 * images, about 7 ground-truth boxes each over the 80 COCO category ids, 100 detections per image (jittered copies of
 * the ground truth plus random boxes, some of other classes).
 *
 * <pre>
 * mvn -q -o test-compile
 * java -cp target/test-classes:target/classes:$(mvn -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout) \
 *     io.dydet.eval.CocoEvaluatorBenchmark [images] [detectionsPerImage] [runs]
 * </pre>
 * Prints the time of {@code evaluate} on in-memory detections (after warm-up: min and median), and of reading the
 * same detections from a COCO results file plus evaluating.
 */
public final class CocoEvaluatorBenchmark {
    private CocoEvaluatorBenchmark() {}

    /** The 80 category ids of COCO (coco80_to_coco91_class). */
    static final int[] COCO_IDS = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34,
        35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
        64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90
    };

    record Data(CocoGroundTruth gt, List<CocoDetection> dts) {}

    static Data synthetic(int images, int detsPerImage, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        CocoGroundTruth.Builder b = CocoGroundTruth.builder();
        for (int id : COCO_IDS) b.addCategory(id, "c" + id);
        List<CocoDetection> dts = new ArrayList<>(images * detsPerImage);
        for (int i = 0; i < images; i++) {
            long img = 100_000L + 7L * i;
            b.addImage(img);
            int nGt = 1 + rnd.nextInt(13);
            double[][] boxes = new double[nGt][];
            int[] cats = new int[nGt];
            for (int g = 0; g < nGt; g++) {
                double w = 4 + rnd.nextDouble() * (rnd.nextBoolean() ? 60 : 400);
                double h = 4 + rnd.nextDouble() * (rnd.nextBoolean() ? 60 : 400);
                double x = rnd.nextDouble() * (640 - w), y = rnd.nextDouble() * (480 - h);
                boxes[g] = new double[] {x, y, w, h};
                cats[g] = COCO_IDS[rnd.nextInt(COCO_IDS.length)];
                boolean crowd = rnd.nextInt(100) == 0;
                b.addAnnotation(img, cats[g], x, y, w, h, w * h * (0.5 + 0.5 * rnd.nextDouble()), crowd);
            }
            for (int d = 0; d < detsPerImage; d++) {
                if (d < 3 * nGt && rnd.nextInt(3) != 0) {
                    int g = rnd.nextInt(nGt);
                    double[] bb = boxes[g];
                    double j = 0.02 + 0.2 * rnd.nextDouble();
                    int cat = rnd.nextInt(10) == 0 ? COCO_IDS[rnd.nextInt(COCO_IDS.length)] : cats[g];
                    dts.add(new CocoDetection(
                            img,
                            cat,
                            bb[0] + j * bb[2] * (rnd.nextDouble() - 0.5),
                            bb[1] + j * bb[3] * (rnd.nextDouble() - 0.5),
                            bb[2] * (1 + j * (rnd.nextDouble() - 0.5)),
                            bb[3] * (1 + j * (rnd.nextDouble() - 0.5)),
                            Math.round(rnd.nextDouble() * 1e5) / 1e5));
                } else {
                    double w = 2 + rnd.nextDouble() * 300, h = 2 + rnd.nextDouble() * 300;
                    dts.add(new CocoDetection(
                            img,
                            COCO_IDS[rnd.nextInt(COCO_IDS.length)],
                            rnd.nextDouble() * 600,
                            rnd.nextDouble() * 450,
                            w,
                            h,
                            Math.round(rnd.nextDouble() * 0.5 * 1e5) / 1e5));
                }
            }
        }
        return new Data(b.build(), dts);
    }

    static void writeResults(Path file, List<CocoDetection> dts) throws IOException {
        try (OutputStream out = Files.newOutputStream(file);
                JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartArray();
            for (CocoDetection d : dts) {
                g.writeStartObject();
                g.writeNumberField("image_id", d.imageId());
                g.writeNumberField("category_id", d.categoryId());
                g.writeArrayFieldStart("bbox");
                g.writeNumber(d.x());
                g.writeNumber(d.y());
                g.writeNumber(d.width());
                g.writeNumber(d.height());
                g.writeEndArray();
                g.writeNumberField("score", d.score());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
    }

    public static void main(String[] args) throws IOException {
        int images = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int perImage = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        Data data = synthetic(images, perImage, 42);
        System.out.printf(
                Locale.ROOT,
                "%d images, %d annotations, %d detections, %d categories, %d processors%n",
                images,
                data.gt().annotationCount(),
                data.dts().size(),
                data.gt().categoryIds().length,
                Runtime.getRuntime().availableProcessors());

        long t0 = System.nanoTime();
        CocoMetrics first = CocoEvaluator.evaluate(data.gt(), data.dts());
        double cold = (System.nanoTime() - t0) / 1e9;
        for (int i = 0; i < 3; i++) CocoEvaluator.evaluate(data.gt(), data.dts());
        double[] times = new double[runs];
        for (int i = 0; i < runs; i++) {
            long s = System.nanoTime();
            CocoMetrics m = CocoEvaluator.evaluate(data.gt(), data.dts());
            times[i] = (System.nanoTime() - s) / 1e9;
            if (!Arrays.equals(m.stats(), first.stats())) throw new IllegalStateException("not deterministic");
        }
        Arrays.sort(times);
        System.out.printf(
                Locale.ROOT,
                "evaluate (in memory): first run %.3f s, then min %.3f s, median %.3f s%n",
                cold,
                times[0],
                times[runs / 2]);

        Path file = Files.createTempFile("coco-bench", ".dt.json");
        try {
            writeResults(file, data.dts());
            CocoEvaluator.evaluate(data.gt(), file);
            long s = System.nanoTime();
            List<CocoDetection> read = CocoDetection.readResults(file);
            double readS = (System.nanoTime() - s) / 1e9;
            CocoMetrics m = CocoEvaluator.evaluate(data.gt(), read);
            double total = (System.nanoTime() - s) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "results file %.1f MB: read %.3f s, read + evaluate %.3f s%n",
                    Files.size(file) / 1e6,
                    readS,
                    total);
            if (!Arrays.equals(m.stats(), first.stats())) throw new IllegalStateException("file round trip differs");
        } finally {
            Files.deleteIfExists(file);
        }
        System.out.print(first.summary());
    }
}
