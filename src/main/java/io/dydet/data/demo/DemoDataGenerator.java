package io.dydet.data.demo;

import io.dydet.box.Box;
import io.dydet.data.Images;
import io.dydet.files.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.MatOfPoint;
import org.opencv.core.Point;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * A small synthetic detection data set in the YOLO format, made so that image difficulty varies on purpose: easy
 * scenes hold one or two large, high-contrast shapes on a plain background; hard scenes hold three to six
 * smaller, overlapping, low-contrast shapes on clutter and noise. Each image's difficulty goes to {@code difficulty.csv} for reports;
 * the labels carry only classes and boxes. Deterministic for a seed (each image draws from its own generator).
 *
 * <p>Layout: {@code images/train}, {@code images/val}, {@code labels/train}, {@code labels/val} (PNG images, one
 * {@code class cx cy w h} line per object), {@code data.yaml}, {@code difficulty.csv}; with router images also
 * {@code images/router} and {@code labels/router}, a split held out from step 1 that step 2 trains the router on
 * (named by the data YAML's {@code router} key).
 */
public final class DemoDataGenerator {
    /** The classes, in id order. */
    public static final List<String> CLASSES = List.of("circle", "square", "triangle", "cross");

    /** What was written. */
    public record Summary(
            Path dataYaml, int trainImages, int valImages, int routerImages, int objects, int hardImages) {}

    /** One generated image: its file, split, whether it is hard, and its objects (class, cx, cy, w, h normalised). */
    public record Scene(String file, String split, boolean hard, List<float[]> objects) {}

    private final int size;
    private final long seed;

    /** @param size side of the square images in pixels (at least 64) */
    public DemoDataGenerator(int size, long seed) {
        if (size < 64) throw new IllegalArgumentException("demo images must be at least 64 px, got " + size);
        this.size = size;
        this.seed = seed;
    }

    /**
     * Writes {@code images} images (a quarter of them, at least one, to val; half of each split hard) under
     * {@code out}, which must not contain a data set already.
     */
    public Summary write(Path out, int images) throws IOException {
        return write(out, images, 0);
    }

    /**
     * Writes {@code images} images as {@link #write(Path, int)} and {@code routerImages} more (half of them hard) to
     * the held-out {@code router} split.
     */
    public Summary write(Path out, int images, int routerImages) throws IOException {
        if (images < 2)
            throw new IllegalArgumentException("the demo data needs at least 2 images (train and val), got " + images);
        if (routerImages < 0) throw new IllegalArgumentException("router images must be >= 0, got " + routerImages);
        if (Files.exists(out.resolve("data.yaml")))
            throw new IOException(out + " already holds a data set (data.yaml); choose an empty folder");
        Images.loadOpenCv();
        int val = Math.max(1, images / 4);
        StringBuilder difficulty = new StringBuilder("file,split,difficulty,objects\n");
        int objects = 0, hard = 0;
        for (int i = 0; i < images + routerImages; i++) {
            String split = i < images - val ? "train" : i < images ? "val" : "router";
            Scene scene = scene(i, split);
            Mat img = render(scene, i);
            Path imageFile = out.resolve("images").resolve(split).resolve(scene.file() + ".png");
            Path labelFile = out.resolve("labels").resolve(split).resolve(scene.file() + ".txt");
            MatOfByte png = new MatOfByte();
            if (!Imgcodecs.imencode(".png", img, png, new MatOfInt(Imgcodecs.IMWRITE_PNG_COMPRESSION, 3))) {
                throw new IOException("cannot encode " + imageFile);
            }
            AtomicFile.write(imageFile, png.toArray());
            png.release();
            img.release();
            StringBuilder labels = new StringBuilder();
            for (float[] o : scene.objects()) {
                labels.append(
                        String.format(Locale.ROOT, "%d %.6f %.6f %.6f %.6f%n", (int) o[0], o[1], o[2], o[3], o[4]));
            }
            AtomicFile.writeString(labelFile, labels.toString());
            difficulty
                    .append(scene.file())
                    .append(',')
                    .append(split)
                    .append(',')
                    .append(scene.hard() ? "hard" : "easy")
                    .append(',')
                    .append(scene.objects().size())
                    .append('\n');
            objects += scene.objects().size();
            if (scene.hard()) hard++;
        }
        AtomicFile.writeString(out.resolve("difficulty.csv"), difficulty.toString());
        StringBuilder yaml =
                new StringBuilder("# dydet demo data: synthetic shapes, easy and hard scenes (see difficulty.csv)\n");
        yaml.append("train: images/train\nval: images/val\n");
        if (routerImages > 0)
            yaml.append("router: images/router  # held out from step 1: step 2 trains the router on these\n");
        yaml.append("difficulty: difficulty.csv\nnc: ").append(CLASSES.size()).append("\nnames: [");
        for (int c = 0; c < CLASSES.size(); c++) yaml.append(c == 0 ? "" : ", ").append(CLASSES.get(c));
        yaml.append("]\n");
        Path dataYaml = out.resolve("data.yaml");
        AtomicFile.writeString(dataYaml, yaml.toString());
        return new Summary(dataYaml, images - val, val, routerImages, objects, hard);
    }

    /** The objects of image {@code index}: easy and hard alternate, so both splits get both kinds. */
    Scene scene(int index, String split) {
        Random rng = new Random(seed * 1_000_003L + index);
        boolean hard = index % 2 == 1;
        // hard objects (13-26% of the side, with clutter, overlap and lower contrast) stay learnable in minutes at 128
        // px:
        // measured, AP 0.16-0.28 on the validation set against 0.02-0.03 with the earlier 5-9 objects at 9-20% of the
        // side, which neither route learnt (the router then rightly sent the easy scenes to route 2)
        // easy objects share the hard ones' scale, so that easy differs only by clutter, contrast, overlap and count:
        // measured, large easy objects (30-50% of the side) were rarer in training than the hard scenes' objects and
        // the detector found them harder (route-1 AP 0.02-0.05 on easy against 0.17-0.19 on hard, seeds 1 and 4)
        int count = hard ? 3 + rng.nextInt(4) : 1 + rng.nextInt(2);
        double minSide = hard ? 0.13 : 0.16, maxSide = hard ? 0.26 : 0.30;
        List<float[]> objects = new ArrayList<>();
        int attempts = 0;
        while (objects.size() < count && attempts++ < 500) {
            double w = minSide + (maxSide - minSide) * rng.nextDouble();
            double h = w * (0.8 + 0.4 * rng.nextDouble());
            h = Math.min(h, maxSide * 1.2);
            double cx = w / 2 + (1 - w) * rng.nextDouble(), cy = h / 2 + (1 - h) * rng.nextDouble();
            float[] box = {rng.nextInt(CLASSES.size()), (float) cx, (float) cy, (float) w, (float) h};
            // easy scenes keep objects apart; hard scenes allow partial overlap
            double limit = hard ? 0.2 : 0.0;
            boolean ok = true;
            for (float[] o : objects) if (asBox(o).iou(asBox(box)) > limit) ok = false;
            if (ok) objects.add(box);
        }
        return new Scene(String.format(Locale.ROOT, "%s_%05d", split, index), split, hard, objects);
    }

    private Mat render(Scene scene, int index) {
        Random rng = new Random(seed * 7_919L + index);
        Mat img;
        Scalar background;
        if (scene.hard()) {
            int base = 90 + rng.nextInt(60);
            background = new Scalar(base, base, base);
            img = new Mat(size, size, CvType.CV_8UC3, background);
            // clutter: random lines and blobs in background-like tones
            for (int k = 0; k < 20; k++) {
                Scalar tone = new Scalar(
                        base + rng.nextInt(41) - 20, base + rng.nextInt(41) - 20, base + rng.nextInt(41) - 20);
                Imgproc.line(
                        img,
                        new Point(rng.nextInt(size), rng.nextInt(size)),
                        new Point(rng.nextInt(size), rng.nextInt(size)),
                        tone,
                        1 + rng.nextInt(3));
            }
            // sensor-like noise from the image's own generator (OpenCV's randn draws from a per-thread RNG that depends
            // on its thread count, which made the files differ between runs)
            short[] values = new short[size * size * 3];
            for (int k = 0; k < values.length; k++) values[k] = (short) Math.round(rng.nextGaussian() * 8);
            Mat noise = new Mat(size, size, CvType.CV_16SC3);
            noise.put(0, 0, values);
            Mat wide = new Mat();
            img.convertTo(wide, CvType.CV_16SC3);
            Core.add(wide, noise, wide);
            wide.convertTo(img, CvType.CV_8UC3);
            noise.release();
            wide.release();
        } else {
            background = new Scalar(225 + rng.nextInt(20), 225 + rng.nextInt(20), 225 + rng.nextInt(20));
            img = new Mat(size, size, CvType.CV_8UC3, background);
        }
        for (float[] o : scene.objects()) {
            Scalar colour;
            if (scene.hard()) { // low contrast: close to the background
                double b = background.val[0];
                colour = new Scalar(b + 40 + rng.nextInt(20), b - 15 + rng.nextInt(30), b - 40 - rng.nextInt(20));
            } else {
                colour = new Scalar(rng.nextInt(120), rng.nextInt(120), 60 + rng.nextInt(120));
            }
            draw(img, (int) o[0], o[1] * size, o[2] * size, o[3] * size, o[4] * size, colour);
        }
        return img;
    }

    private static void draw(Mat img, int cls, double cx, double cy, double w, double h, Scalar colour) {
        Point tl = new Point(cx - w / 2, cy - h / 2), br = new Point(cx + w / 2, cy + h / 2);
        switch (cls) {
            case 0 ->
                Imgproc.ellipse(img, new Point(cx, cy), new Size(w / 2, h / 2), 0, 0, 360, colour, -1, Imgproc.LINE_AA);
            case 1 -> Imgproc.rectangle(img, tl, br, colour, -1);
            case 2 -> {
                MatOfPoint tri = new MatOfPoint(
                        new Point(cx, cy - h / 2),
                        new Point(cx + w / 2, cy + h / 2),
                        new Point(cx - w / 2, cy + h / 2));
                Imgproc.fillPoly(img, List.of(tri), colour, Imgproc.LINE_AA);
                tri.release();
            }
            default -> {
                Imgproc.rectangle(
                        img, new Point(cx - w / 2, cy - h / 6), new Point(cx + w / 2, cy + h / 6), colour, -1);
                Imgproc.rectangle(
                        img, new Point(cx - w / 6, cy - h / 2), new Point(cx + w / 6, cy + h / 2), colour, -1);
            }
        }
    }

    private static Box asBox(float[] o) {
        return Box.fromCenter(o[1], o[2], o[3], o[4]);
    }
}
