package io.dydet.data.train;

import io.dydet.data.ImageException;
import io.dydet.data.Images;
import io.dydet.data.YoloLabels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.opencv.core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checked training images and their labels (design.md, Training data).
 *
 * <pre>{@code
 * TrainingSet set = TrainingSet.open(dataConfig.images("train"), nc, cacheDirOrNull);
 * set.problems();   // excluded images, "file:line: what was expected"
 * }</pre>
 *
 * Labels are found like {@link YoloLabels#labelPathFor}. Opening checks every image once: it is decoded (its size is
 * the decoded size, EXIF-rotated as OpenCV does) and its label file parsed. An image that cannot be decoded or whose
 * label file has malformed lines is EXCLUDED and reported in {@link #problems()} (every malformed line, once; the
 * trainer passes them to its listener, so they are logged only at debug level here); training goes on with
 * the rest. A class id outside 0..nc-1 throws (wrong data set for this model), as does a set without any usable image.
 *
 * <p>The check result is cached in {@code <labels folder>.cache.json} next to the labels folder (e.g.
 * {@code labels/train2017.cache.json}), or in {@code cacheDir} when given; entries whose image or label file changed
 * (size or modification time) are checked again, the rest skip decoding.
 */
public final class TrainingSet {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingSet.class);
    /** The original refuses images under 10 pixels a side. */
    static final int MIN_SIDE = 10;
    /** Images decoded by the check; tests use it to see that the cache was used. */
    static final AtomicInteger DECODES = new AtomicInteger();

    private final List<LabelledImage> images;
    private final List<String> problems;
    private final int nc;
    private final Path cacheFile;
    private final boolean hasSegments;

    private TrainingSet(List<LabelledImage> images, List<String> problems, int nc, Path cacheFile) {
        this.images = List.copyOf(images);
        this.problems = List.copyOf(problems);
        this.nc = nc;
        this.cacheFile = cacheFile;
        this.hasSegments = images.stream().anyMatch(LabelledImage::hasSegments);
    }

    /** {@link #open(List, int, Path, String)} naming the source by the first image's folder. */
    public static TrainingSet open(List<Path> imageFiles, int nc, Path cacheDir) throws IOException {
        String source = imageFiles.isEmpty()
                ? "(no image paths)"
                : imageFiles.get(0).toAbsolutePath().getParent().toString();
        return open(imageFiles, nc, cacheDir, source);
    }

    /**
     * Checks the images and labels (using and refreshing the cache).
     *
     * @param source how to name the data in errors (e.g. "data/coco.yaml split 'train'")
     * @throws IOException when a label has a class id outside 0..nc-1 (names file:line and nc), or when no usable
     *                     image remains (names the source and the first problems)
     */
    public static TrainingSet open(List<Path> imageFiles, int nc, Path cacheDir, String source) throws IOException {
        if (nc <= 0) throw new IllegalArgumentException("nc must be positive, got " + nc);
        if (imageFiles.isEmpty()) throw new IOException(source + ": no training images");
        Path cacheFile = cacheFileFor(imageFiles, cacheDir);
        Map<String, LabelCache.Entry> cached = LabelCache.read(cacheFile);
        int n = imageFiles.size();
        LabelCache.Entry[] entries = new LabelCache.Entry[n];
        boolean[] fresh = new boolean[n];
        try {
            IntStream.range(0, n).parallel().forEach(i -> {
                Path img = imageFiles.get(i);
                Path lbl = YoloLabels.labelPathFor(img);
                try {
                    LabelCache.Fingerprint fp = LabelCache.Fingerprint.of(img, lbl);
                    LabelCache.Entry c = cached.get(key(img));
                    if (c != null && c.fingerprint().equals(fp)) {
                        entries[i] = c;
                    } else {
                        entries[i] = check(img, lbl, fp);
                        fresh[i] = true;
                    }
                } catch (IOException e) {
                    entries[i] = LabelCache.Entry.excluded(
                            new LabelCache.Fingerprint(-1, -1, -1, -1),
                            List.of(img + ": cannot read (" + e.getMessage() + ")"));
                    fresh[i] = true;
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        List<LabelledImage> ok = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int excluded = 0;
        Map<String, LabelCache.Entry> toCache = new LinkedHashMap<>();
        boolean changed = cached.size() != n;
        for (int i = 0; i < n; i++) {
            Path img = imageFiles.get(i);
            LabelCache.Entry e = entries[i];
            changed |= fresh[i];
            if (!fresh[i] || e.fingerprint().imageBytes() >= 0) toCache.put(key(img), e);
            if (e.isExcluded()) {
                // listed once: callers get them from problems() (the trainer tells its listener), so only debug here
                problems.addAll(e.problems());
                excluded++;
                for (String p : e.problems()) LOG.debug("excluded from training: {}", p);
                continue;
            }
            checkClasses(img, e, nc);
            ok.add(new LabelledImage(
                    img, e.height(), e.width(), e.labels(), Collections.unmodifiableList(e.segments())));
        }
        if (ok.isEmpty()) {
            throw new IOException(source + ": no usable training image among " + n + " (" + excluded + " excluded"
                    + (problems.isEmpty() ? "" : "; first: " + problems.get(0)) + ")");
        }
        if (changed) {
            try {
                LabelCache.write(cacheFile, toCache);
                LOG.info("label cache written: {}", cacheFile);
            } catch (IOException e) {
                LOG.warn(
                        "cannot write the label cache {} ({}); the next start checks the images again",
                        cacheFile,
                        e.toString());
            }
        }
        return new TrainingSet(ok, problems, nc, cacheFile);
    }

    private static String key(Path img) {
        return img.toAbsolutePath().normalize().toString();
    }

    /** Decodes the image once (size, corruption) and parses its labels. */
    private static LabelCache.Entry check(Path img, Path lbl, LabelCache.Fingerprint fp) throws IOException {
        int h, w;
        try {
            DECODES.incrementAndGet();
            Mat m = Images.read(img, Images.DEFAULT_PIXEL_LIMIT);
            h = m.rows();
            w = m.cols();
            m.release();
        } catch (ImageException e) {
            return LabelCache.Entry.excluded(fp, List.of(String.valueOf(e.getMessage())));
        }
        if (h < MIN_SIDE || w < MIN_SIDE) {
            return LabelCache.Entry.excluded(
                    fp,
                    List.of(img + ": expected an image of at least " + MIN_SIDE + "x" + MIN_SIDE + " pixels, got " + w
                            + "x" + h));
        }
        LabelFile.Parsed p = LabelFile.read(lbl);
        if (!p.problems().isEmpty()) return LabelCache.Entry.excluded(fp, p.problems());
        return new LabelCache.Entry(fp, h, w, p.labels(), p.segments(), p.lineNumbers(), List.of());
    }

    private static void checkClasses(Path img, LabelCache.Entry e, int nc) throws IOException {
        for (int k = 0; k < e.labels().length; k++) {
            int c = (int) e.labels()[k][0];
            if (c < 0 || c >= nc) {
                throw new IOException(YoloLabels.labelPathFor(img) + ":" + e.lines()[k] + ": class " + c
                        + " is outside 0.." + (nc - 1) + " (nc " + nc + "): labels and model/data config do not match");
            }
        }
    }

    /** {@code <labels folder>.cache.json}, or that name under {@code cacheDir} prefixed with a hash of the folder path. */
    static Path cacheFileFor(List<Path> imageFiles, Path cacheDir) {
        Path labelDir = YoloLabels.labelPathFor(
                        imageFiles.get(0).toAbsolutePath().normalize())
                .getParent();
        String name = labelDir.getFileName() + ".cache.json";
        if (cacheDir == null) return labelDir.resolveSibling(name);
        return cacheDir.resolve(Integer.toHexString(labelDir.toString().hashCode()) + "-" + name);
    }

    public int size() {
        return images.size();
    }

    public LabelledImage get(int index) {
        return images.get(index);
    }

    public List<LabelledImage> images() {
        return images;
    }

    /** Why images were excluded, one line per problem (every malformed line of a label file): {@code file[:line]: what was expected}. */
    public List<String> problems() {
        return problems;
    }

    public int nc() {
        return nc;
    }

    public Path cacheFile() {
        return cacheFile;
    }

    /** Whether any object carries a polygon (paste-in needs them). */
    public boolean hasSegments() {
        return hasSegments;
    }

    /** Every object of every image as (class, w, h), w and h normalised to its image (label plots, autoanchor). */
    public float[][] classWidthHeight() {
        List<float[]> out = new ArrayList<>();
        for (LabelledImage im : images) for (float[] r : im.labels()) out.add(new float[] {r[0], r[3], r[4]});
        return out.toArray(new float[0][]);
    }

    /** Each image's (height, width) in pixels, in set order (autoanchor scales the normalised sizes with them). */
    public int[][] heightWidth() {
        int[][] out = new int[images.size()][];
        for (int i = 0; i < out.length; i++)
            out[i] = new int[] {images.get(i).height(), images.get(i).width()};
        return out;
    }

    /** Number of objects over all images. */
    public int objectCount() {
        return images.stream().mapToInt(LabelledImage::objects).sum();
    }
}
