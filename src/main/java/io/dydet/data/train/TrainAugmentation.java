package io.dydet.data.train;

import io.dydet.box.Letterbox;
import io.dydet.data.Hyperparameters;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.opencv.core.Core;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training sample as the original's LoadImagesAndLabels.__getitem__ builds it (design.md, Training data), with the hyp values:
 * <ol>
 * <li>with probability {@code mosaic}: a 4-mosaic (80%) or 9-mosaic (20%), random_perspective with border -s/2, and
 * with probability {@code mixup} a second mosaic blended with r ~ Beta(8, 8);</li>
 * <li>otherwise: load_image, letterbox to s x s (auto off, pad 114, enlarging only when augmenting),
 * random_perspective with border 0 (augmenting only);</li>
 * <li>when augmenting: HSV jitter; with probability {@code paste_in} (and only if the set has polygons) paste-in;
 * flip up-down with {@code flipud}, left-right with {@code fliplr}.</li>
 * </ol>
 * The result is an s x s 8-bit BGR image and labels (class, cx, cy, w, h) normalised to it. {@code copy_paste} is 0
 * in every shipped hyp file and is not implemented (a non-zero value is refused).
 *
 * <p>Randomness: each sample draws from its own generator seeded from (seed, epoch, index) ({@link #random}), so a
 * sample does not depend on which thread builds it or on the samples before it.
 *
 * <p>An image that cannot be read any more (deleted or damaged after the set was checked) is logged once and replaced
 * by the next readable image of the set (index + 1, + 2, ...), so training continues deterministically.
 *
 * <p>Known small departures from the original: MixUp rounds the blend instead of truncating (at most one grey level);
 * zero HSV gains skip the lossy HSV round trip; paste-in crops keep black pixels black (the original turns pure-0
 * channels inside the polygon white).
 */
public final class TrainAugmentation {
    private static final Logger LOG = LoggerFactory.getLogger(TrainAugmentation.class);
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /** A finished sample: s x s 8-bit BGR image (the caller releases it) and normalised (class, cx, cy, w, h) rows. */
    public record Sample(Mat image, float[][] labels) {}

    /** An image resized by load_image with its labels. */
    record Loaded(Mat image, LabelledImage labels) {}

    private final TrainingSet set;
    private final Hyperparameters hyp;
    private final int imgSize;
    private final boolean augment;

    public TrainAugmentation(TrainingSet set, Hyperparameters hyp, int imgSize, boolean augment) {
        if (imgSize <= 0 || imgSize % 2 != 0)
            throw new IllegalArgumentException("image size must be a positive even number, got " + imgSize);
        if (augment && hyp.copyPaste() != 0)
            throw new IllegalArgumentException(
                    "hyp copy_paste " + hyp.copyPaste() + " is not supported (the shipped files use 0)");
        this.set = set;
        this.hyp = hyp;
        this.imgSize = imgSize;
        this.augment = augment;
    }

    public TrainingSet set() {
        return set;
    }

    public int imgSize() {
        return imgSize;
    }

    /** The original's mosaic_border: -s/2 on each side (the 2s mosaic becomes s). */
    int mosaicBorder() {
        return Math.floorDiv(-imgSize, 2);
    }

    /** The generator of one sample: a function of (seed, epoch, index) only. */
    public static SplittableRandom random(long seed, int epoch, int index) {
        long h = mix(seed ^ 0x6A09E667F3BCC909L);
        h = mix(h ^ (epoch * 0x9E3779B97F4A7C15L));
        h = mix(h ^ (index * 0xBF58476D1CE4E5B9L + 1));
        return new SplittableRandom(h);
    }

    private static long mix(long z) { // splitmix64 finaliser
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The sample {@code index} of {@code epoch} for a run seeded with {@code seed}. */
    public Sample sample(long seed, int epoch, int index) {
        return sample(index, random(seed, epoch, index));
    }

    /** The sample {@code index} drawing from {@code rnd}. */
    public Sample sample(int index, RandomGenerator rnd) {
        Mat img;
        List<Target> targets;
        boolean mosaic = augment && rnd.nextDouble() < hyp.mosaic();
        if (mosaic) {
            Mosaic.Canvas c = mosaic(index, rnd);
            img = c.image();
            targets = c.targets();
            if (rnd.nextDouble() < hyp.mixup()) {
                Mosaic.Canvas other = mosaic(rnd.nextInt(set.size()), rnd);
                double r = BetaDistribution.sample(rnd, 8, 8);
                Mat blend = new Mat();
                Core.addWeighted(img, r, other.image(), 1 - r, 0, blend);
                img.release();
                other.image().release();
                img = blend;
                targets.addAll(other.targets());
            }
        } else {
            Loaded im = loadImage(index);
            int h = im.image().rows(), w = im.image().cols();
            Letterbox lb = Letterbox.of(h, w, imgSize, imgSize, 32, false, augment);
            img = Images.letterbox(im.image(), lb, false);
            im.image().release();
            targets = Target.fromLabels(im.labels(), lb.ratio() * w, lb.ratio() * h, lb.padX(), lb.padY());
            if (augment) img = RandomPerspective.apply(img, targets, RandomPerspective.Params.draw(rnd, hyp), 0);
        }
        if (augment) {
            HsvJitter.apply(img, HsvJitter.drawGains(rnd, hyp.hsvH(), hyp.hsvS(), hyp.hsvV()));
            if (rnd.nextDouble() < hyp.pasteIn() && set.hasSegments()) {
                List<PasteIn.Crop> crops = PasteIn.collect(this, rnd);
                PasteIn.apply(img, targets, crops, rnd);
                crops.forEach(PasteIn.Crop::release);
            }
        }
        float[][] labels = new float[targets.size()][];
        for (int i = 0; i < labels.length; i++) labels[i] = targets.get(i).normalised(img.cols(), img.rows());
        if (augment) {
            if (rnd.nextDouble() < hyp.flipud()) flipUpDown(img, labels);
            if (rnd.nextDouble() < hyp.fliplr()) flipLeftRight(img, labels);
        }
        return new Sample(img, labels);
    }

    /** 4-mosaic (80%) or 9-mosaic (20%), then random_perspective with border -s/2. */
    private Mosaic.Canvas mosaic(int index, RandomGenerator rnd) {
        Mosaic.Canvas c = rnd.nextDouble() < 0.8 ? Mosaic.four(this, index, rnd) : Mosaic.nine(this, index, rnd);
        List<Target> targets = c.targets();
        Mat warped =
                RandomPerspective.apply(c.image(), targets, RandomPerspective.Params.draw(rnd, hyp), mosaicBorder());
        return new Mosaic.Canvas(warped, targets);
    }

    static void flipLeftRight(Mat img, float[][] labels) {
        Core.flip(img, img, 1);
        for (float[] r : labels) r[1] = 1 - r[1];
    }

    static void flipUpDown(Mat img, float[][] labels) {
        Core.flip(img, img, 0);
        for (float[] r : labels) r[2] = 1 - r[2];
    }

    /**
     * The original's load_image: the long side becomes s (INTER_AREA when shrinking without augmentation, else
     * INTER_LINEAR), the other side truncated as int(side * r) but at least 1 px. An unreadable image is replaced by
     * the next readable one.
     */
    Loaded loadImage(int index) {
        int n = set.size();
        for (int k = 0; k < n; k++) {
            LabelledImage li = set.get((index + k) % n);
            Mat m;
            try {
                m = Images.read(li.image(), Images.DEFAULT_PIXEL_LIMIT);
            } catch (ImageException e) {
                if (WARNED.add(li.image().toString()))
                    LOG.warn("cannot read a training image any more, using the next one instead: {}", e.getMessage());
                continue;
            }
            int h0 = m.rows(), w0 = m.cols();
            double r = (double) imgSize / Math.max(h0, w0);
            if (r != 1) {
                int interp = r < 1 && !augment ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR;
                int[] size = Letterbox.loadSize(h0, w0, imgSize); // a side truncating to 0 px stays 1 px
                Mat resized = new Mat();
                Imgproc.resize(m, resized, new Size(size[1], size[0]), 0, 0, interp);
                m.release();
                m = resized;
            }
            return new Loaded(m, li);
        }
        throw new IllegalStateException("none of the " + n + " training images can be read any more (first: "
                + set.get(0).image() + ")");
    }

    /** For tests: the targets of a list in normalised form. */
    static float[][] normalised(List<Target> targets, int w, int h) {
        List<float[]> out = new ArrayList<>();
        for (Target t : targets) out.add(t.normalised(w, h));
        return out.toArray(new float[0][]);
    }
}
