package io.dydet.serve;

import io.dydet.infer.DetectSettings;
import io.dydet.infer.ImageDetections;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.opencv.core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects images from concurrent requests into batches: a batch starts with the oldest waiting image and takes
 * whatever arrives within {@code maxWaitMs} of it, up to {@code maxBatch} images. It waits only while requests are
 * on their way (received, still being read or decoded), so a lone request pays no waiting time. Each image keeps its own settings
 * (router threshold, NMS), so requests with different speed settings share forward passes and each image takes its
 * own route. The queue is bounded: a request that does not fit is refused whole, never half-queued.
 */
final class MicroBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatcher.class);

    /** One image's outcome, with how long it waited and how many images shared its forward pass. */
    record Result(ImageDetections detections, double queueMs, int batchSize) {}

    /** The queue cannot take all images of a request. */
    static final class QueueFullException extends Exception {
        QueueFullException(String message) {
            super(message);
        }
    }

    /** How often a waiting batch looks whether requests are still on their way. */
    private static final long POLL_NANOS = 200_000;

    private record Job(
            Mat image, String label, DetectSettings settings, long enqueuedNanos, CompletableFuture<Result> result) {}

    private final BatchRunner runner;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final ArrayBlockingQueue<Job> queue;
    private final List<Thread> workers = new ArrayList<>();
    private final Consumer<List<Result>> onBatch;
    private final IntSupplier arriving;
    private volatile boolean closed;

    /**
     * @param arriving requests received but not yet queued: while there are none, a batch does not wait for more
     * @param onBatch called after each batch with its results (metrics)
     */
    MicroBatcher(
            BatchRunner runner,
            int maxBatch,
            int maxWaitMs,
            int workerCount,
            int queueDepth,
            IntSupplier arriving,
            Consumer<List<Result>> onBatch) {
        this.runner = runner;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        this.queue = new ArrayBlockingQueue<>(queueDepth);
        this.onBatch = onBatch;
        this.arriving = arriving;
        for (int i = 0; i < workerCount; i++) {
            Thread t = new Thread(this::work, "dydet-batch-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    /** Images waiting for a batch. */
    int queued() {
        return queue.size();
    }

    /**
     * Queues images (the batcher releases them once they ran, or at once if the queue is full). The futures
     * complete with each image's result, or exceptionally if the backend failed.
     */
    synchronized List<CompletableFuture<Result>> submit(
            List<Mat> images, List<String> labels, List<DetectSettings> settings) throws QueueFullException {
        if (closed) {
            for (Mat m : images) m.release();
            throw new QueueFullException("the service is shutting down");
        }
        if (queue.remainingCapacity() < images.size()) {
            for (Mat m : images) m.release();
            throw new QueueFullException(queue.size() + " images are waiting, the queue holds "
                    + (queue.size() + queue.remainingCapacity()) + "; this request has " + images.size());
        }
        long now = System.nanoTime();
        List<CompletableFuture<Result>> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            CompletableFuture<Result> f = new CompletableFuture<>();
            queue.add(new Job(images.get(i), labels.get(i), settings.get(i), now, f));
            out.add(f);
        }
        return out;
    }

    private void work() {
        while (true) {
            List<Job> batch = new ArrayList<>(maxBatch);
            try {
                Job first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closed && queue.isEmpty()) return; // submit refuses once closed: nothing can arrive later
                    continue;
                }
                batch.add(first);
                long deadline = first.enqueuedNanos() + maxWaitNanos;
                while (batch.size() < maxBatch) {
                    Job next = queue.poll();
                    if (next == null) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0 || arriving.getAsInt() == 0) break;
                        next = queue.poll(Math.min(left, POLL_NANOS), TimeUnit.NANOSECONDS);
                    }
                    if (next != null) batch.add(next);
                }
            } catch (InterruptedException e) {
                fail(batch, e);
                for (Job j : batch) j.image().release();
                return;
            }
            run(batch);
        }
    }

    private void run(List<Job> batch) {
        // a request that timed out cancelled its futures: skip its images
        List<Job> live = new ArrayList<>(batch.size());
        for (Job j : batch) {
            if (j.result().isDone()) j.image().release();
            else live.add(j);
        }
        if (live.isEmpty()) return;
        long start = System.nanoTime();
        try {
            List<Mat> mats = new ArrayList<>(live.size());
            List<String> labels = new ArrayList<>(live.size());
            List<DetectSettings> settings = new ArrayList<>(live.size());
            for (Job j : live) {
                mats.add(j.image());
                labels.add(j.label());
                settings.add(j.settings());
            }
            List<ImageDetections> done = runner.run(mats, labels, settings);
            List<Result> results = new ArrayList<>(live.size());
            for (int k = 0; k < live.size(); k++) {
                Job j = live.get(k);
                results.add(new Result(done.get(k), (start - j.enqueuedNanos()) / 1e6, live.size()));
            }
            onBatch.accept(results);
            for (int k = 0; k < live.size(); k++) live.get(k).result().complete(results.get(k));
        } catch (RuntimeException | Error e) {
            LOG.error("a batch of {} images failed", live.size(), e);
            fail(live, e);
        } finally {
            for (Job j : live) j.image().release();
        }
    }

    private static void fail(List<Job> jobs, Throwable e) {
        for (Job j : jobs) j.result().completeExceptionally(e);
    }

    /** Stops taking images, lets the workers finish what is queued, and waits for them. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
