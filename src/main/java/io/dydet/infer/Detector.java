package io.dydet.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.box.Letterbox;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import io.dydet.engine.Devices;
import io.dydet.engine.Engines;
import io.dydet.eval.NmsOptions;
import io.dydet.model.ClassNames;
import io.dydet.model.ModelArtifact;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.Precision;
import io.dydet.model.Route;
import io.dydet.model.RoutedModel;
import io.dydet.model.RoutedOutput;
import io.dydet.model.RouterSetting;
import io.dydet.weights.WeightsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.opencv.core.Mat;

/**
 * Images in, boxes out, through the dynamic model: the original's detect path (letterbox with stride padding,
 * router, one route per image, NMS, boxes mapped back to the original image).
 *
 * <p>Thread safety: a Detector is safe to share between threads. The deploy-form weights are only read; every call
 * runs in its own NDManager and switches libtorch's (thread-local) grad mode off on the calling thread, so
 * concurrent calls neither share temporaries nor record autograd graphs. Each call uses the engine's intra-op
 * threads; for throughput on many cores, call from a few threads rather than many.
 */
public final class Detector implements AutoCloseable {
    private final ModelLoader loader;
    private final RoutedModel model;
    private final Precision precision;
    private final ModelArtifact artifact;
    private final int imageSize;
    private final DetectSettings defaults;
    private final String source;
    private final long pixelLimit;
    private final long decodedPixelBudget;
    private final int batchSize;
    private final LetterboxStage preprocess;
    /** Most decoded pixels one {@link #detect(List)} call held at once (tests check the budget with it). */
    private final AtomicLong peakDecodedPixels = new AtomicLong();

    /** {@code imageSize} and the classes are checked by the builder, against the model before it is fused. */
    private Detector(Builder b, ModelLoader loader, int imageSize) {
        this.loader = loader;
        this.model = loader.model();
        this.artifact = loader.artifact();
        this.precision = b.precision;
        this.imageSize = imageSize;
        this.source = String.valueOf(b.weights);
        this.defaults = new DetectSettings(
                b.router.resolve(artifact, source),
                NmsOptions.forDetect(b.confidence, b.iou, b.agnostic, b.classes, b.maxDetections));
        this.pixelLimit = b.pixelLimit;
        this.decodedPixelBudget = b.decodedPixelBudget;
        this.batchSize = b.batchSize;
        this.preprocess = new LetterboxStage(imageSize, model.network().maxStride());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Class names, indexed by class id. */
    public List<String> classNames() {
        return artifact.classNames();
    }

    public ModelArtifact artifact() {
        return artifact;
    }

    public Network network() {
        return model.network();
    }

    /** The deploy-form model this detector runs, for tensor-level use; the detector owns it (do not close it). */
    public RoutedModel model() {
        return model;
    }

    /** The engine that runs the network. */
    public Backend backend() {
        return loader.backend();
    }

    /** The convolutions' number format. */
    public Precision precision() {
        return precision;
    }

    public int imageSize() {
        return imageSize;
    }

    public float routerThreshold() {
        return defaults.routerThreshold();
    }

    /** The settings this detector was built with; per-image variants go to {@link #detectDecoded(List, List, List)}. */
    public DetectSettings defaults() {
        return defaults;
    }

    /** The router threshold a setting gives for this model (e.g. an easy share through the model's calibration). */
    public float routerThreshold(RouterSetting setting) {
        return setting.resolve(artifact, source);
    }

    /** Images per forward pass (images of one letterboxed shape). */
    public int batchSize() {
        return batchSize;
    }

    /** The network input (1, 3, H, W) for one decoded BGR image, letterboxed as detection does, in {@code manager}. */
    public NDArray input(NDManager manager, Mat bgr) {
        return preprocess.input(manager, bgr);
    }

    /** Detects objects in one image file; an unreadable file gives a result with an error, not an exception. */
    public ImageDetections detect(Path file) {
        return detect(List.of(file)).get(0);
    }

    /** Detects objects in one decoded 8-bit BGR image (OpenCV's layout). */
    public ImageDetections detect(Mat bgr, String label) {
        return detectDecoded(List.of(bgr), List.of(label)).get(0);
    }

    /**
     * Detects objects in many files, in order. Images of one letterboxed shape are batched (up to the batch size)
     * and each image takes its own route; results equal one-by-one detection. Bad files get an error each. Files
     * are decoded in runs whose pixels (from their headers) fit the decoded-pixel budget, so a list of huge images
     * never sits decoded all at once; an image over the budget on its own is decoded alone.
     */
    public List<ImageDetections> detect(List<Path> files) {
        List<ImageDetections> out = new ArrayList<>(Collections.nCopies(files.size(), (ImageDetections) null));
        long[] pixels = new long[files.size()];
        for (int i = 0; i < pixels.length; i++)
            pixels[i] = Images.decodedPixels(Images.headerDims(files.get(i)), pixelLimit);
        for (int from = 0, to; from < files.size(); from = to) {
            long sum = pixels[from];
            for (to = from + 1; to < files.size() && sum + pixels[to] <= decodedPixelBudget; to++) sum += pixels[to];
            detectRun(files, from, to, out);
        }
        return out;
    }

    /** Decodes files {@code from..to-1} together, detects and releases them. */
    private void detectRun(List<Path> files, int from, int to, List<ImageDetections> out) {
        List<Mat> mats = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<Double> decodeMs = new ArrayList<>();
        try {
            for (int i = from; i < to; i++) {
                Path f = files.get(i);
                long t0 = System.nanoTime();
                try {
                    mats.add(Images.read(f, pixelLimit));
                    index.add(i);
                    labels.add(f.toString());
                    decodeMs.add((System.nanoTime() - t0) / 1e6);
                } catch (ImageException e) {
                    out.set(i, ImageDetections.failed(f.toString(), e.getMessage()));
                }
            }
            long held = mats.stream().mapToLong(m -> (long) m.rows() * m.cols()).sum();
            peakDecodedPixels.accumulateAndGet(held, Math::max);
            List<ImageDetections> done = run(mats, labels, decodeMs, Collections.nCopies(mats.size(), defaults));
            for (int k = 0; k < done.size(); k++) out.set(index.get(k), done.get(k));
        } finally {
            for (Mat m : mats) m.release();
        }
    }

    long peakDecodedPixels() {
        return peakDecodedPixels.get();
    }

    /** Detects objects in decoded 8-bit BGR images, in order. */
    public List<ImageDetections> detectDecoded(List<Mat> bgr, List<String> labels) {
        if (bgr.size() != labels.size())
            throw new IllegalArgumentException(bgr.size() + " images but " + labels.size() + " labels");
        return detectDecoded(bgr, labels, Collections.nCopies(bgr.size(), defaults));
    }

    /**
     * Detects objects in decoded 8-bit BGR images, in order, each with its own router threshold and NMS settings.
     * Images of one letterboxed shape still share forward passes; each result equals that image's detection alone
     * with its settings.
     */
    public List<ImageDetections> detectDecoded(List<Mat> bgr, List<String> labels, List<DetectSettings> settings) {
        if (bgr.size() != labels.size())
            throw new IllegalArgumentException(bgr.size() + " images but " + labels.size() + " labels");
        if (bgr.size() != settings.size())
            throw new IllegalArgumentException(bgr.size() + " images but " + settings.size() + " settings");
        return run(bgr, labels, Collections.nCopies(bgr.size(), 0.0), settings);
    }

    private List<ImageDetections> run(
            List<Mat> bgr, List<String> labels, List<Double> decodeMs, List<DetectSettings> settings) {
        ImageDetections[] out = new ImageDetections[bgr.size()];
        int[][] shapes = new int[bgr.size()][];
        for (int i = 0; i < bgr.size(); i++)
            shapes[i] = preprocess.paddedShape(bgr.get(i).rows(), bgr.get(i).cols());
        Engines.setGradEnabled(false);
        for (List<Integer> batch : ShapeBatcher.plan(shapes, batchSize))
            runBatch(batch, bgr, labels, decodeMs, settings, out);
        return List.of(out);
    }

    private void runBatch(
            List<Integer> images,
            List<Mat> bgr,
            List<String> labels,
            List<Double> decodeMs,
            List<DetectSettings> settings,
            ImageDetections[] out) {
        try (NDManager pass = loader.newSubManager()) {
            long t0 = System.nanoTime();
            List<Preprocess.Prepared> prepared = new ArrayList<>(images.size());
            List<Mat> padded = new ArrayList<>(images.size());
            List<Integer> batch = new ArrayList<>(images.size());
            NDArray input;
            try {
                for (int i : images) {
                    try {
                        Preprocess.Prepared p = preprocess.apply(bgr.get(i), labels.get(i));
                        prepared.add(p);
                        padded.add(p.padded());
                        batch.add(i);
                    } catch (ImageException e) {
                        out[i] = ImageDetections.failed(labels.get(i), e.getMessage());
                    }
                }
                if (batch.isEmpty()) return;
                input = Images.toInput(pass, padded);
            } finally {
                for (Mat m : padded) m.release();
            }
            long t1 = System.nanoTime();
            float[] thresholds = new float[batch.size()];
            for (int k = 0; k < batch.size(); k++)
                thresholds[k] = settings.get(batch.get(k)).routerThreshold();
            RoutedOutput routed = model.forward(input, thresholds);
            long t2 = System.nanoTime();
            List<List<Detection>> dets = new ArrayList<>();
            for (int k = 0; k < batch.size(); k++) {
                dets.add(Postprocess.detections(
                        routed.decoded().get(k),
                        settings.get(batch.get(k)).nms(),
                        prepared.get(k).letterbox(),
                        classNames()));
            }
            long t3 = System.nanoTime();
            double pre = (t1 - t0) / 1e6 / batch.size(),
                    mdl = (t2 - t1) / 1e6 / batch.size(),
                    nmsMs = (t3 - t2) / 1e6 / batch.size();
            for (int k = 0; k < batch.size(); k++) {
                int i = batch.get(k);
                Route r = routed.routes().get(k);
                Preprocess.Prepared p = prepared.get(k);
                Letterbox lb = p.letterbox();
                out[i] = new ImageDetections(
                        labels.get(i),
                        p.width(),
                        p.height(),
                        dets.get(k),
                        new ImageDetections.Routing(
                                routed.scores()[k], r, gflops(r, lb.paddedHeight(), lb.paddedWidth())),
                        new Timings(pre + decodeMs.get(i), mdl, nmsMs),
                        null);
            }
        }
    }

    /** GFLOPs of one route at one input size (deploy form, router included). */
    public double gflops(Route route, int height, int width) {
        return model.network().gflops(route, height, width);
    }

    @Override
    public void close() {
        loader.close();
    }

    /** Builds a {@link Detector}; {@code weights} is required. */
    public static final class Builder {
        private Path weights;
        private ModelSpec spec;
        private Device device = Device.cpu();
        private int threads;
        private Integer imageSize;
        private float confidence = 0.25f;
        private float iou = 0.45f;
        private RouterSetting router = new RouterSetting.Threshold(0.5f);
        private Set<Integer> classes;
        private boolean agnostic;
        private int maxDetections = 300;
        private long pixelLimit = Images.DEFAULT_PIXEL_LIMIT;
        private long decodedPixelBudget = Images.DEFAULT_DECODED_PIXEL_BUDGET;
        private int batchSize = 8;
        private Backend backend = Backend.AUTO;
        private Precision precision = Precision.FLOAT32;

        private Builder() {}

        /** The convolutions' number format (default fp32); bf16 runs on the torch backend (see {@link Precision}). */
        public Builder precision(Precision precision) {
            this.precision = java.util.Objects.requireNonNull(precision, "precision");
            return this;
        }

        /** The engine that runs the network (default torch); onnxruntime exports the model in memory first. */
        public Builder backend(Backend backend) {
            this.backend = java.util.Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** Router threshold from the model file's calibration: this share of images on route 1. */
        public Builder easyRatio(double ratio) {
            this.router = new RouterSetting.EasyRatio(ratio);
            return this;
        }

        /**
         * Router threshold from the calibration: the most accurate setting whose expected time per image fits
         * {@code ms}, given this machine's per-route latencies (e.g. from {@code dydet benchmark}).
         */
        public Builder latencyBudget(double ms, double route1Ms, double route2Ms) {
            this.router = new RouterSetting.LatencyBudget(ms, route1Ms, route2Ms);
            return this;
        }

        /** Router threshold from the calibration: the most accurate setting whose expected GFLOPs per image fit. */
        public Builder gflopsBudget(double gflops) {
            this.router = new RouterSetting.GflopsBudget(gflops);
            return this;
        }

        /** A dydet model file, a safetensors state dict, or an original .pt checkpoint. */
        public Builder weights(Path weights) {
            this.weights = weights;
            return this;
        }

        /** The model definition, for weights files that do not carry one. */
        public Builder model(ModelSpec spec) {
            this.spec = spec;
            return this;
        }

        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        public Builder device(String device) {
            this.device = Devices.parse(device);
            return this;
        }

        /** Intra-op threads of the engine (process-wide); 0 = all cores. */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /**
         * Letterbox size (long side), a positive multiple of the model's largest stride (checked by {@link #build()});
         * default: the model file's, else 640 (1280 for W6).
         */
        public Builder imageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        public Builder confidence(float confidence) {
            this.confidence = confidence;
            return this;
        }

        public Builder iou(float iou) {
            this.iou = iou;
            return this;
        }

        /** Route 1 iff the router's easiness score >= this threshold; 0 = all route 1, 1 = all route 2. */
        public Builder routerThreshold(float routerThreshold) {
            this.router = new RouterSetting.Threshold(routerThreshold);
            return this;
        }

        /** Any way of choosing the router threshold (raw, or from the model's calibration). */
        public Builder router(RouterSetting setting) {
            this.router = java.util.Objects.requireNonNull(setting, "setting");
            return this;
        }

        /** Keep only these class ids (null = all); {@link #build()} refuses ids outside the model's classes. */
        public Builder classes(Set<Integer> classes) {
            this.classes = classes == null ? null : Set.copyOf(classes);
            return this;
        }

        /** NMS across classes. */
        public Builder agnostic(boolean agnostic) {
            this.agnostic = agnostic;
            return this;
        }

        public Builder maxDetections(int maxDetections) {
            this.maxDetections = maxDetections;
            return this;
        }

        /** Images with more pixels are refused before decoding (default 100 megapixels). */
        public Builder pixelLimit(long pixelLimit) {
            this.pixelLimit = pixelLimit;
            return this;
        }

        /**
         * Decoded pixels {@link Detector#detect(List)} holds at once (default {@link Images#DEFAULT_DECODED_PIXEL_BUDGET},
         * about 1 GB): a list of files whose headers add up to more is decoded and detected in several runs.
         */
        public Builder decodedPixelBudget(long pixels) {
            if (pixels < 1) throw new IllegalArgumentException("decoded pixel budget must be >= 1, got " + pixels);
            this.decodedPixelBudget = pixels;
            return this;
        }

        /** Images of one letterboxed shape per forward pass (default 8). */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            this.batchSize = batchSize;
            return this;
        }

        public Detector build() throws WeightsException {
            if (weights == null) throw new IllegalStateException("Detector.builder().weights(...) is required");
            Engines.start(threads);
            ModelLoader loader = ModelLoader.open(weights, spec, device);
            try {
                // options checked before the model is fused and opened, as serve and the other commands check them
                int size = loader.imageSize(imageSize);
                if (classes != null)
                    for (int c : classes)
                        ClassNames.checkId(c, loader.artifact().classNames());
                loader.warnWhenUnchecked(size);
                loader.deploy(precision, backend, true);
                return new Detector(this, loader, size);
            } catch (RuntimeException e) {
                loader.close();
                throw e;
            }
        }
    }
}
