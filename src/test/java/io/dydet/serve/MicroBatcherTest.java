package io.dydet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dydet.data.Images;
import io.dydet.eval.NmsOptions;
import io.dydet.infer.DetectSettings;
import io.dydet.infer.ImageDetections;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opencv.core.CvType;
import org.opencv.core.Mat;

/** How the batcher forms batches, with a backend that only records them. */
class MicroBatcherTest {
    static final DetectSettings SETTINGS = new DetectSettings(0.5f, NmsOptions.forDetect());
    final List<List<String>> batches = java.util.Collections.synchronizedList(new ArrayList<>());
    final BatchRunner recorder = (bgr, labels, s) -> {
        batches.add(List.copyOf(labels));
        return labels.stream().map(l -> ImageDetections.failed(l, "recorded")).toList();
    };

    @BeforeAll
    static void opencv() {
        Images.loadOpenCv();
    }

    static Mat image() {
        return new Mat(4, 4, CvType.CV_8UC3);
    }

    CompletableFuture<MicroBatcher.Result> submit(MicroBatcher b, String label) throws Exception {
        return b.submit(List.of(image()), List.of(label), List.of(SETTINGS)).get(0);
    }

    @Test
    void aLoneRequestDoesNotWaitWhenNothingIsOnItsWay() throws Exception {
        try (MicroBatcher b = new MicroBatcher(recorder, 8, 5_000, 1, 16, () -> 0, r -> {})) {
            submit(b, "a").get(2, TimeUnit.SECONDS); // would take 5 s if it waited for company
            submit(b, "b").get(2, TimeUnit.SECONDS);
        }
        assertEquals(List.of(List.of("a"), List.of("b")), batches);
    }

    @Test
    void aBatchWaitsForRequestsOnTheirWayUpToTheMaxBatch() throws Exception {
        AtomicInteger arriving = new AtomicInteger(1);
        try (MicroBatcher b = new MicroBatcher(recorder, 3, 30_000, 1, 16, arriving::get, r -> {})) {
            CompletableFuture<MicroBatcher.Result> a = submit(b, "a");
            Thread.sleep(100);
            CompletableFuture<MicroBatcher.Result> second = submit(b, "b");
            CompletableFuture<MicroBatcher.Result> third = submit(b, "c"); // the batch is full: it runs at once
            assertEquals(3, a.get(5, TimeUnit.SECONDS).batchSize());
            assertEquals(3, third.get(5, TimeUnit.SECONDS).batchSize());
            arriving.set(0);
            assertEquals(1, submit(b, "d").get(5, TimeUnit.SECONDS).batchSize());
            second.get(5, TimeUnit.SECONDS);
        }
        assertEquals(List.of(List.of("a", "b", "c"), List.of("d")), batches);
    }

    @Test
    void aRequestThatDoesNotFitIsRefusedWholeAndItsImagesReleased() throws Exception {
        BatchRunner stuck = (bgr, labels, s) -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return recorder.run(bgr, labels, s);
        };
        MicroBatcher b = new MicroBatcher(stuck, 1, 0, 1, 2, () -> 0, r -> {});
        submit(b, "running");
        Thread.sleep(100);
        submit(b, "queued");
        Mat x = image(), y = image();
        assertThrows(
                MicroBatcher.QueueFullException.class,
                () -> b.submit(List.of(x, y), List.of("x", "y"), List.of(SETTINGS, SETTINGS)));
        assertEquals(0, x.dataAddr(), "released");
        assertEquals(0, y.dataAddr(), "released");
    }
}
