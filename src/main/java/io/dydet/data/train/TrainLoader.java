package io.dydet.data.train;

import io.dydet.data.Hyperparameters;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.opencv.core.Mat;

/**
 * Training batches built ahead of the consumer by worker threads (design.md, Training data).
 *
 * <pre>{@code
 * TrainingSet set = TrainingSet.open(dataConfig.images("train"), nc, cacheDirOrNull);  // throws on class >= nc / empty
 * try (TrainLoader loader = new TrainLoader(set, hyp, imgSize, batchSize, workers, seed, true, false)) {
 *     for (int epoch = start; epoch < epochs; epoch++) {
 *         for (TrainBatch b : loader.epoch(epoch, epoch == start ? startBatch : 0)) {
 *             try (NDManager m = base.newSubManager()) { NDArray x = b.images(m); NDArray t = b.targets(m); ... }
 *         }
 *     }
 * }
 * }</pre>
 *
 * <ul>
 * <li>Order: the set's order (the original's single-GPU loader does not shuffle), or with {@code shuffle} a
 * permutation drawn from (seed, epoch). Batch b holds positions b*B .. b*B+B-1; the last, partial batch is kept, so
 * an epoch has ceil(n / B) batches.</li>
 * <li>Determinism: sample i of epoch e draws from its own generator seeded from (seed, e, i) (see
 * {@link TrainAugmentation#random}), and batches come out in order, so the bytes do not depend on the number of
 * workers; the same seed gives the same run.</li>
 * <li>Resume: {@code epoch(e, startBatch)} begins at that batch; skipped batches are not built.</li>
 * <li>Prefetch: at most {@code 2 * max(B, workers)} samples are built or waiting ahead of the consumer.</li>
 * <li>An image that disappears mid-run is replaced by the next readable image (logged once); see
 * {@link TrainAugmentation}.</li>
 * </ul>
 * Close to stop the workers. Batches are plain Java buffers; nothing native outlives a sample's construction.
 */
public final class TrainLoader implements AutoCloseable {
    private final TrainingSet set;
    private final TrainAugmentation augmentation;
    private final int batchSize;
    private final int workers;
    private final long seed;
    private final boolean shuffle;
    private final ExecutorService pool;
    private final int window;
    private EpochIterator current;
    private volatile boolean closed;

    /** One built sample, pixels already copied out of the Mat. */
    private record Built(byte[] bgr, float[][] labels, Path path, int height, int width) {}

    /**
     * @param workers threads building samples; 0 builds them on the consumer's thread
     * @param augment the training recipe; false = letterbox only (validation-like loading)
     */
    public TrainLoader(
            TrainingSet set,
            Hyperparameters hyp,
            int imgSize,
            int batchSize,
            int workers,
            long seed,
            boolean augment,
            boolean shuffle) {
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        if (workers < 0) throw new IllegalArgumentException("workers must be >= 0, got " + workers);
        this.set = set;
        this.augmentation = new TrainAugmentation(set, hyp, imgSize, augment);
        this.batchSize = batchSize;
        this.workers = workers;
        this.seed = seed;
        this.shuffle = shuffle;
        this.window = 2 * Math.max(batchSize, workers);
        AtomicInteger n = new AtomicInteger();
        this.pool = workers == 0
                ? null
                : Executors.newFixedThreadPool(workers, r -> {
                    Thread t = new Thread(r, "dydet-train-loader-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    public int batchesPerEpoch() {
        return (set.size() + batchSize - 1) / batchSize;
    }

    public int batchSize() {
        return batchSize;
    }

    public TrainingSet set() {
        return set;
    }

    public TrainAugmentation augmentation() {
        return augmentation;
    }

    /** The dataset indices of an epoch in loading order. */
    public int[] order(int epoch) {
        int n = set.size();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        if (shuffle) {
            SplittableRandom r = TrainAugmentation.random(seed, epoch, -1);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        }
        return idx;
    }

    /** The batches {@code startBatch .. batchesPerEpoch()-1} of {@code epoch}; starting a new one abandons the previous. */
    public Iterable<TrainBatch> epoch(int epoch, int startBatch) {
        if (startBatch < 0 || startBatch > batchesPerEpoch()) {
            throw new IllegalArgumentException("start batch " + startBatch + " outside 0.." + batchesPerEpoch());
        }
        return () -> {
            synchronized (this) {
                if (closed) throw new IllegalStateException("loader is closed");
                if (current != null) current.cancel();
                current = new EpochIterator(epoch, startBatch);
                return current;
            }
        };
    }

    public Iterable<TrainBatch> epoch(int epoch) {
        return epoch(epoch, 0);
    }

    private Built build(int epoch, int index) {
        TrainAugmentation.Sample s = augmentation.sample(seed, epoch, index);
        Mat img = s.image();
        try {
            Mat c = img.isContinuous() ? img : img.clone();
            byte[] b = new byte[(int) (c.total() * c.channels())];
            c.get(0, 0, b);
            if (c != img) c.release();
            return new Built(b, s.labels(), set.get(index).image(), img.rows(), img.cols());
        } finally {
            img.release();
        }
    }

    private final class EpochIterator implements Iterator<TrainBatch> {
        private final int epoch;
        private final int[] order;
        private int nextBatch;
        private int nextSubmit; // next position in order to hand to a worker
        private final ArrayDeque<Future<Built>> pending = new ArrayDeque<>();

        EpochIterator(int epoch, int startBatch) {
            this.epoch = epoch;
            this.order = order(epoch);
            this.nextBatch = startBatch;
            this.nextSubmit = Math.min(order.length, startBatch * batchSize);
            fill();
        }

        private void fill() {
            while (pool != null && pending.size() < window && nextSubmit < order.length) {
                int index = order[nextSubmit++];
                pending.add(pool.submit(() -> build(epoch, index)));
            }
        }

        void cancel() {
            for (Future<Built> f : pending) f.cancel(true);
            pending.clear();
            nextBatch = batchesPerEpoch();
        }

        @Override
        public boolean hasNext() {
            return nextBatch < batchesPerEpoch();
        }

        @Override
        public TrainBatch next() {
            if (!hasNext()) throw new NoSuchElementException();
            if (closed) throw new IllegalStateException("loader is closed");
            int from = nextBatch * batchSize, to = Math.min(order.length, from + batchSize);
            List<Built> samples = new ArrayList<>(to - from);
            for (int p = from; p < to; p++) {
                if (pool == null) {
                    samples.add(build(epoch, order[p]));
                    continue;
                }
                if (pending.isEmpty()) fill();
                Future<Built> f = pending.poll();
                samples.add(get(f));
                fill();
            }
            return assemble(nextBatch++, samples);
        }

        private Built get(Future<Built> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a training sample", e);
            } catch (CancellationException e) {
                throw new IllegalStateException("the loader was closed", e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException r) throw r;
                if (c instanceof Error err) throw err;
                throw new IllegalStateException("building a training sample failed: " + c, c);
            }
        }

        private TrainBatch assemble(int index, List<Built> samples) {
            int h = samples.get(0).height(), w = samples.get(0).width();
            ByteBuffer buf =
                    ByteBuffer.allocateDirect(samples.size() * h * w * 3).order(ByteOrder.nativeOrder());
            List<float[]> rows = new ArrayList<>();
            List<Path> paths = new ArrayList<>(samples.size());
            for (int i = 0; i < samples.size(); i++) {
                Built b = samples.get(i);
                buf.put(b.bgr());
                paths.add(b.path());
                for (float[] l : b.labels()) rows.add(new float[] {i, l[0], l[1], l[2], l[3], l[4]});
            }
            buf.flip();
            return new TrainBatch(
                    epoch, index, samples.size(), h, w, buf, rows.toArray(new float[0][]), List.copyOf(paths));
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (current != null) current.cancel();
        }
        if (pool != null) pool.shutdownNow();
    }
}
