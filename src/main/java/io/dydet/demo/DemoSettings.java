package io.dydet.demo;

import io.dydet.model.Precision;
import java.nio.file.Path;

/**
 * What the demo runs: how much synthetic data, the model size, both training steps' lengths and the time budget.
 * The defaults fit a 2-core machine in under 10 minutes; {@link #reduced} is a smoke-test size.
 *
 * Settings (built by name; {@link #builder()} starts from the defaults):
 * out            run folder (data, both training runs, the calibrated model, the report)
 * images         synthetic images for step 1 and evaluation, a quarter of them validation
 * routerImages   more synthetic images, held out from step 1, that step 2 trains the router on (0: step 2 trains
 *                       on step 1's images, as the original)
 * imageSize      image side for generation, training and evaluation
 * width          width multiple of dy-yolov7
 * detectorEpochs training step 1 epochs (both routes)
 * route2Epochs   then route 2 alone with route 1 frozen (0: none)
 * routerEpochs   training step 2 epochs
 * batch          training batch (step 1 and step 2)
 * lr0            step-1 learning rate (Adam)
 * routerLr0      step-2 learning rate (AdamW; the original's 1e-5 is for COCO's 118k images)
 * minutes        time budget: the demo shortens its remaining epochs to fit it ({@link DemoPlan}) and stops only when even
 *                       its smallest plan cannot
 * seed           seed of data, initialisation and augmentation: the same seed gives the same results
 */
public final class DemoSettings {
    private final Path out;
    private final int images;
    private final int routerImages;
    private final int imageSize;
    private final double width;
    private final int detectorEpochs;
    private final int route2Epochs;
    private final int routerEpochs;
    private final int batch;
    private final double lr0;
    private final double routerLr0;
    private final double minutes;
    private final long seed;
    private final String device;
    private final int workers;
    private final Precision precision;

    private DemoSettings(Builder b) {
        this.out = b.out;
        this.images = b.images;
        this.routerImages = b.routerImages;
        this.imageSize = b.imageSize;
        this.width = b.width;
        this.detectorEpochs = b.detectorEpochs;
        this.route2Epochs = b.route2Epochs;
        this.routerEpochs = b.routerEpochs;
        this.batch = b.batch;
        this.lr0 = b.lr0;
        this.routerLr0 = b.routerLr0;
        this.minutes = b.minutes;
        this.seed = b.seed;
        this.device = b.device;
        this.workers = b.workers;
        this.precision = java.util.Objects.requireNonNull(b.precision, "precision");
        if (images < 8) throw new IllegalArgumentException("the demo needs at least 8 images, got " + images);
        if (routerImages < 0) throw new IllegalArgumentException("--router-images must be >= 0, got " + routerImages);
        if (imageSize < 64 || imageSize % 32 != 0)
            throw new IllegalArgumentException("--img must be a multiple of 32 and at least 64, got " + imageSize);
        if (detectorEpochs < 1 || routerEpochs < 1 || route2Epochs < 0)
            throw new IllegalArgumentException("epochs must be >= 1");
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        if (!(minutes > 0)) throw new IllegalArgumentException("--minutes must be > 0, got " + minutes);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values, for a copy that differs in a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.out = out;
        b.images = images;
        b.routerImages = routerImages;
        b.imageSize = imageSize;
        b.width = width;
        b.detectorEpochs = detectorEpochs;
        b.route2Epochs = route2Epochs;
        b.routerEpochs = routerEpochs;
        b.batch = batch;
        b.lr0 = lr0;
        b.routerLr0 = routerLr0;
        b.minutes = minutes;
        b.seed = seed;
        b.device = device;
        b.workers = workers;
        b.precision = precision;
        return b;
    }

    /** The number format of the demo's training runs (fp32, or bf16 mixed precision). */
    public Precision precision() {
        return precision;
    }

    public Path out() {
        return out;
    }

    public int images() {
        return images;
    }

    public int routerImages() {
        return routerImages;
    }

    public int imageSize() {
        return imageSize;
    }

    public double width() {
        return width;
    }

    public int detectorEpochs() {
        return detectorEpochs;
    }

    public int route2Epochs() {
        return route2Epochs;
    }

    public int routerEpochs() {
        return routerEpochs;
    }

    public int batch() {
        return batch;
    }

    public double lr0() {
        return lr0;
    }

    public double routerLr0() {
        return routerLr0;
    }

    public double minutes() {
        return minutes;
    }

    public long seed() {
        return seed;
    }

    public String device() {
        return device;
    }

    public int workers() {
        return workers;
    }

    public static DemoSettings defaults(Path out) {
        return builder().out(out).build();
    }

    /** A few images and steps: every stage and output, in about a minute. */
    public static DemoSettings reduced(Path out) {
        return builder()
                .out(out)
                .images(16)
                .routerImages(4)
                .imageSize(64)
                .detectorEpochs(1)
                .route2Epochs(1)
                .routerEpochs(1)
                .batch(4)
                .build();
    }

    public DemoSettings withMinutes(double m) {
        return toBuilder().minutes(m).build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof DemoSettings x)) return false;
        return java.util.Objects.equals(out, x.out)
                && images == x.images
                && routerImages == x.routerImages
                && imageSize == x.imageSize
                && Double.compare(width, x.width) == 0
                && detectorEpochs == x.detectorEpochs
                && route2Epochs == x.route2Epochs
                && routerEpochs == x.routerEpochs
                && batch == x.batch
                && Double.compare(lr0, x.lr0) == 0
                && Double.compare(routerLr0, x.routerLr0) == 0
                && Double.compare(minutes, x.minutes) == 0
                && seed == x.seed
                && java.util.Objects.equals(device, x.device)
                && workers == x.workers;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                out,
                images,
                routerImages,
                imageSize,
                width,
                detectorEpochs,
                route2Epochs,
                routerEpochs,
                batch,
                lr0,
                routerLr0,
                minutes,
                seed,
                device,
                workers);
    }

    /** As a record's: {@code DemoSettings[a=1, b=2]}. */
    @Override
    public String toString() {
        return "DemoSettings[out=" + out + ", images=" + images + ", routerImages=" + routerImages + ", imageSize="
                + imageSize + ", width=" + width + ", detectorEpochs=" + detectorEpochs + ", route2Epochs="
                + route2Epochs + ", routerEpochs=" + routerEpochs + ", batch=" + batch + ", lr0=" + lr0 + ", routerLr0="
                + routerLr0 + ", minutes=" + minutes + ", seed=" + seed + ", device=" + device + ", workers=" + workers
                + "]";
    }

    /** Named settings, starting from {@link #defaults}. */
    public static final class Builder {
        private Path out;
        private int images = 240;
        private int routerImages = 80;
        private int imageSize = 128;
        private double width = 0.25;
        private int detectorEpochs = 22;
        private int route2Epochs = 12;
        private int routerEpochs = 8;
        private int batch = 8;
        private double lr0 = 0.002;
        private double routerLr0 = 0.001;
        private double minutes = 10;
        private long seed;
        private String device = "cpu";
        private int workers = 1;
        private Precision precision = Precision.FLOAT32;

        Builder() {}

        public Builder precision(Precision v) {
            precision = v;
            return this;
        }

        public Builder out(Path v) {
            out = v;
            return this;
        }

        public Builder images(int v) {
            images = v;
            return this;
        }

        public Builder routerImages(int v) {
            routerImages = v;
            return this;
        }

        public Builder imageSize(int v) {
            imageSize = v;
            return this;
        }

        public Builder width(double v) {
            width = v;
            return this;
        }

        public Builder detectorEpochs(int v) {
            detectorEpochs = v;
            return this;
        }

        public Builder route2Epochs(int v) {
            route2Epochs = v;
            return this;
        }

        public Builder routerEpochs(int v) {
            routerEpochs = v;
            return this;
        }

        public Builder batch(int v) {
            batch = v;
            return this;
        }

        public Builder lr0(double v) {
            lr0 = v;
            return this;
        }

        public Builder routerLr0(double v) {
            routerLr0 = v;
            return this;
        }

        public Builder minutes(double v) {
            minutes = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder device(String v) {
            device = v;
            return this;
        }

        public Builder workers(int v) {
            workers = v;
            return this;
        }

        public DemoSettings build() {
            return new DemoSettings(this);
        }
    }
}
