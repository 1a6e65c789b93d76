package io.dydet.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The ground truth of a COCO evaluation: the images, the categories and the box annotations of a COCO instances
 * file, held in primitive arrays grouped by image and category for {@link CocoEvaluator}.
 *
 * <p>Read one with {@link #read(Path)}, or build one in memory with {@link #builder()}. What is kept is what
 * pycocotools' COCOeval uses for {@code iouType='bbox'}: per annotation its {@code id}, {@code image_id},
 * {@code category_id}, {@code bbox} [x, y, w, h], {@code area} (used for the area ranges instead of the box, as in
 * COCO) and {@code iscrowd}; other fields (segmentation, an {@code ignore} flag, which COCOeval overwrites with
 * {@code iscrowd}) are not read. Image ids and category ids are de-duplicated and sorted, as COCOeval does with
 * {@code np.unique}.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class CocoGroundTruth {
    /** One ground-truth box. {@code iscrowd} regions are matched by intersection over detection area and ignored. */
    public record Annotation(long id, long imageId, int categoryId, Bbox bbox, double area, boolean iscrowd) {
        public double x() {
            return bbox.x();
        }

        public double y() {
            return bbox.y();
        }

        public double width() {
            return bbox.width();
        }

        public double height() {
            return bbox.height();
        }
    }

    /** COCO's {@code bbox}: top-left corner, width and height in pixels. */
    public record Bbox(double x, double y, double width, double height) {}

    /** One category: its COCO id and name (the name may be empty). */
    public record Category(int id, String name) {
        public Category {
            name = name == null ? "" : name;
        }
    }

    // images and categories, sorted by id
    final long[] imageIds;
    final int[] categoryIds;
    private final String[] categoryNames;
    final LongIntMap imageIndex;
    final LongIntMap categoryIndex;

    // annotations, ordered by (image index, category index, input order)
    final long[] annId;
    final int[] annImage;
    final int[] annCategory;
    final double[] annX;
    final double[] annY;
    final double[] annW;
    final double[] annH;
    final double[] annArea;
    final boolean[] annCrowd;
    /** Annotations of image i are [imageStart[i], imageStart[i + 1]). */
    final int[] imageStart;

    CocoGroundTruth(long[] images, List<Category> categories, List<Annotation> anns, String source)
            throws CocoFormatException {
        imageIds = uniqueSorted(images);
        imageIndex = new LongIntMap(imageIds.length);
        for (int i = 0; i < imageIds.length; i++) imageIndex.put(imageIds[i], i);

        int[] cids = new int[categories.size()];
        for (int i = 0; i < cids.length; i++) cids[i] = categories.get(i).id();
        int[] sortedCats = Arrays.stream(cids).sorted().distinct().toArray();
        categoryIds = sortedCats;
        categoryIndex = new LongIntMap(sortedCats.length);
        categoryNames = new String[sortedCats.length];
        for (int i = 0; i < sortedCats.length; i++) categoryIndex.put(sortedCats[i], i);
        for (Category c : categories) {
            int k = categoryIndex.get(c.id());
            if (categoryNames[k] == null) categoryNames[k] = c.name();
        }

        int n = anns.size();
        int[] img = new int[n];
        int[] cat = new int[n];
        int[] perImage = new int[imageIds.length + 1];
        for (int a = 0; a < n; a++) {
            Annotation an = anns.get(a);
            int i = imageIndex.get(an.imageId());
            if (i < 0) {
                throw problem(
                        source, "annotations", a, "image_id", "image_id " + an.imageId() + " is not among the images");
            }
            int k = categoryIndex.get(an.categoryId());
            if (k < 0) {
                throw problem(
                        source,
                        "annotations",
                        a,
                        "category_id",
                        "category_id " + an.categoryId() + " is not among the categories");
            }
            img[a] = i;
            cat[a] = k;
            perImage[i + 1]++;
        }
        for (int i = 0; i < imageIds.length; i++) perImage[i + 1] += perImage[i];
        imageStart = perImage.clone();
        // stable counting sort by image, then a stable sort by category within each image
        int[] order = new int[n];
        int[] fill = perImage.clone();
        for (int a = 0; a < n; a++) order[fill[img[a]]++] = a;
        int[] tmp = new int[n];
        for (int i = 0; i < imageIds.length; i++) {
            Sorting.mergeSort(order, imageStart[i], imageStart[i + 1], tmp, (p, q) -> Integer.compare(cat[p], cat[q]));
        }
        annId = new long[n];
        annImage = new int[n];
        annCategory = new int[n];
        annX = new double[n];
        annY = new double[n];
        annW = new double[n];
        annH = new double[n];
        annArea = new double[n];
        annCrowd = new boolean[n];
        for (int j = 0; j < n; j++) {
            int a = order[j];
            Annotation an = anns.get(a);
            annId[j] = an.id();
            annImage[j] = img[a];
            annCategory[j] = cat[a];
            annX[j] = an.x();
            annY[j] = an.y();
            annW[j] = an.width();
            annH[j] = an.height();
            annArea[j] = an.area();
            annCrowd[j] = an.iscrowd();
        }
    }

    private static long[] uniqueSorted(long[] v) {
        return Arrays.stream(v).sorted().distinct().toArray();
    }

    private static CocoFormatException problem(String source, String array, int index, String field, String msg) {
        return new CocoFormatException(
                source + ": $." + array + "[" + index + "]" + (field == null ? "" : "." + field) + ": " + msg);
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Reads a COCO instances JSON file (streaming, so large files are fine).
     *
     * <p>Required: top-level {@code images} (each with an integer {@code id}), {@code categories} (each with an
     * integer {@code id}; {@code name} optional) and {@code annotations} (each with integer {@code id},
     * {@code image_id}, {@code category_id}, {@code bbox} of 4 numbers, numeric {@code area}, and {@code iscrowd}
     * 0/1 or boolean). Annotation ids must be unique, and every annotation's image and category must be listed.
     *
     * @throws CocoFormatException invalid JSON or a missing or mistyped field; the message names the file and the
     *     entry, e.g. {@code "gt.json: $.annotations[3].area: missing field"}
     * @throws IOException the file cannot be read
     */
    public static CocoGroundTruth read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads a COCO instances JSON document from a stream (not closed); {@code sourceName} names it in error messages.
     *
     * @see #read(Path)
     */
    public static CocoGroundTruth read(InputStream in, String sourceName) throws IOException {
        Objects.requireNonNull(in, "in");
        String src = sourceName == null ? "<stream>" : sourceName;
        return CocoGroundTruthReader.read(in, src);
    }

    // ---------------------------------------------------------------------------------------------- in memory

    /** A builder for ground truth made in memory (for example by a validation loop). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Collects images, categories and annotations; {@link #build()} checks that every annotation's image and
     * category were added. Not thread-safe.
     */
    public static final class Builder {
        private long[] images = new long[16];
        private int nImages;
        private final List<Category> categories = new ArrayList<>();
        private final List<Annotation> annotations = new ArrayList<>();
        private long nextId = 1;

        private Builder() {}

        /** Adds an image id (duplicates are harmless). */
        public Builder addImage(long imageId) {
            if (nImages == images.length) images = Arrays.copyOf(images, nImages * 2);
            images[nImages++] = imageId;
            return this;
        }

        /** Adds a category (the first name given for an id is kept). */
        public Builder addCategory(int categoryId, String name) {
            categories.add(new Category(categoryId, name));
            return this;
        }

        /**
         * Adds a non-crowd box whose {@code area} is its box area {@code width * height}, with the next free id.
         */
        public Builder addAnnotation(long imageId, int categoryId, double x, double y, double width, double height) {
            return addAnnotation(imageId, categoryId, x, y, width, height, width * height, false);
        }

        /** Adds a box with an explicit COCO {@code area} and crowd flag, with the next free id. */
        public Builder addAnnotation(
                long imageId,
                int categoryId,
                double x,
                double y,
                double width,
                double height,
                double area,
                boolean iscrowd) {
            return addAnnotation(
                    new Annotation(nextId, imageId, categoryId, new Bbox(x, y, width, height), area, iscrowd));
        }

        /**
         * Adds an annotation with its own id. As in pycocotools, a match with an annotation of id 0 is counted as
         * no match (COCOeval stores matches as ids, 0 meaning none); ids are otherwise only identifiers.
         */
        public Builder addAnnotation(Annotation a) {
            annotations.add(Objects.requireNonNull(a, "annotation"));
            nextId = Math.max(nextId, a.id() + 1);
            return this;
        }

        /**
         * @throws IllegalArgumentException an annotation refers to an image or category that was not added
         */
        public CocoGroundTruth build() {
            try {
                return new CocoGroundTruth(
                        Arrays.copyOf(images, nImages), categories, annotations, "in-memory ground truth");
            } catch (CocoFormatException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ queries

    /** Image ids, sorted ascending, without duplicates (a copy). */
    public long[] imageIds() {
        return imageIds.clone();
    }

    /** Category ids, sorted ascending, without duplicates (a copy). */
    public int[] categoryIds() {
        return categoryIds.clone();
    }

    /** The categories, sorted by id. */
    public List<Category> categories() {
        List<Category> out = new ArrayList<>(categoryIds.length);
        for (int k = 0; k < categoryIds.length; k++) out.add(new Category(categoryIds[k], categoryNames[k]));
        return Collections.unmodifiableList(out);
    }

    /** Whether the ground truth lists this image. */
    public boolean containsImage(long imageId) {
        return imageIndex.get(imageId) >= 0;
    }

    /** Number of annotations (crowd ones included). */
    public int annotationCount() {
        return annId.length;
    }

    /** The annotations, ordered by image id, then category id, then input order. */
    public List<Annotation> annotations() {
        List<Annotation> out = new ArrayList<>(annId.length);
        for (int a = 0; a < annId.length; a++) {
            out.add(new Annotation(
                    annId[a],
                    imageIds[annImage[a]],
                    categoryIds[annCategory[a]],
                    new Bbox(annX[a], annY[a], annW[a], annH[a]),
                    annArea[a],
                    annCrowd[a]));
        }
        return Collections.unmodifiableList(out);
    }

    @Override
    public String toString() {
        return "CocoGroundTruth[" + imageIds.length + " images, " + categoryIds.length + " categories, " + annId.length
                + " annotations]";
    }
}
