package io.dydet.eval;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
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

    private CocoGroundTruth(long[] images, List<Category> categories, List<Annotation> anns, String source)
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
        JsonIn j = JsonIn.open(in, src);
        try (JsonParser p = j.p) {
            long[] images = null;
            int nImages = 0;
            List<Category> cats = null;
            List<Annotation> anns = null;
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw j.error("$", "expected a JSON object (COCO instances format), got " + JsonIn.describe(p));
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken t = p.nextToken();
                switch (key) {
                    case "images" -> {
                        j.expectArray("$.images", t);
                        images = new long[64];
                        nImages = 0;
                        int idx = 0;
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            String where = "$.images[" + idx + "]";
                            j.expectObject(where, p.currentToken());
                            boolean hasId = false;
                            long id = 0;
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String f = p.currentName();
                                p.nextToken();
                                if (f.equals("id")) {
                                    id = j.readLong(where + ".id");
                                    hasId = true;
                                } else {
                                    p.skipChildren();
                                }
                            }
                            if (!hasId) throw j.error(where, "missing field 'id'");
                            if (nImages == images.length) images = Arrays.copyOf(images, nImages * 2);
                            images[nImages++] = id;
                            idx++;
                        }
                    }
                    case "categories" -> {
                        j.expectArray("$.categories", t);
                        cats = new ArrayList<>();
                        int idx = 0;
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            String where = "$.categories[" + idx + "]";
                            j.expectObject(where, p.currentToken());
                            boolean hasId = false;
                            int id = 0;
                            String name = "";
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String f = p.currentName();
                                p.nextToken();
                                if (f.equals("id")) {
                                    id = j.readInt(where + ".id");
                                    hasId = true;
                                } else if (f.equals("name") && p.currentToken() == JsonToken.VALUE_STRING) {
                                    name = p.getText();
                                } else {
                                    p.skipChildren();
                                }
                            }
                            if (!hasId) throw j.error(where, "missing field 'id'");
                            cats.add(new Category(id, name));
                            idx++;
                        }
                    }
                    case "annotations" -> {
                        j.expectArray("$.annotations", t);
                        anns = new ArrayList<>();
                        LongIntMap seen = new LongIntMap(1024);
                        double[] box = new double[4];
                        int idx = 0;
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            String where = "$.annotations[" + idx + "]";
                            j.expectObject(where, p.currentToken());
                            long id = 0, imageId = 0;
                            int categoryId = 0;
                            double area = 0;
                            boolean crowd = false;
                            int have = 0; // bits: id, image_id, category_id, bbox, area, iscrowd
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String f = p.currentName();
                                p.nextToken();
                                switch (f) {
                                    case "id" -> {
                                        id = j.readLong(where + ".id");
                                        have |= 1;
                                    }
                                    case "image_id" -> {
                                        imageId = j.readLong(where + ".image_id");
                                        have |= 2;
                                    }
                                    case "category_id" -> {
                                        categoryId = j.readInt(where + ".category_id");
                                        have |= 4;
                                    }
                                    case "bbox" -> {
                                        j.readBox(where + ".bbox", box);
                                        have |= 8;
                                    }
                                    case "area" -> {
                                        area = j.readNumber(where + ".area");
                                        have |= 16;
                                    }
                                    case "iscrowd" -> {
                                        crowd = j.readFlag(where + ".iscrowd");
                                        have |= 32;
                                    }
                                    default -> p.skipChildren();
                                }
                            }
                            String[] names = {"id", "image_id", "category_id", "bbox", "area", "iscrowd"};
                            for (int b = 0; b < names.length; b++) {
                                if ((have & (1 << b)) == 0) throw j.error(where, "missing field '" + names[b] + "'");
                            }
                            int prev = seen.putIfAbsent(id, idx);
                            if (prev >= 0) {
                                throw j.error(
                                        where + ".id",
                                        "duplicate annotation id " + id + " (also $.annotations[" + prev + "])");
                            }
                            anns.add(new Annotation(
                                    id, imageId, categoryId, new Bbox(box[0], box[1], box[2], box[3]), area, crowd));
                            idx++;
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) throw j.error("$", "unexpected content after the top-level object");
            if (images == null) throw j.error("$", "missing top-level field 'images'");
            if (cats == null) throw j.error("$", "missing top-level field 'categories'");
            if (anns == null) throw j.error("$", "missing top-level field 'annotations'");
            return new CocoGroundTruth(Arrays.copyOf(images, nImages), cats, anns, src);
        } catch (JsonProcessingException e) {
            throw JsonIn.invalid(src, e);
        }
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

    // ------------------------------------------------------------------------------------------------ helpers

    /** Open-addressing long -> int map (non-negative values; -1 means absent), no boxing. */
    static final class LongIntMap {
        private long[] keys;
        private int[] vals;
        private boolean[] used;
        private int size;
        private int mask;

        LongIntMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
            keys = new long[cap];
            vals = new int[cap];
            used = new boolean[cap];
            mask = cap - 1;
        }

        private static int hash(long k) {
            long h = k * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32));
        }

        int get(long k) {
            int i = hash(k) & mask;
            while (used[i]) {
                if (keys[i] == k) return vals[i];
                i = (i + 1) & mask;
            }
            return -1;
        }

        void put(long k, int v) {
            int prev = putIfAbsent(k, v);
            if (prev >= 0) {
                int i = hash(k) & mask;
                while (keys[i] != k) i = (i + 1) & mask;
                vals[i] = v;
            }
        }

        /** @return the existing value, or -1 after inserting {@code v} */
        int putIfAbsent(long k, int v) {
            int i = hash(k) & mask;
            while (used[i]) {
                if (keys[i] == k) return vals[i];
                i = (i + 1) & mask;
            }
            used[i] = true;
            keys[i] = k;
            vals[i] = v;
            if (++size * 2 > keys.length) grow();
            return -1;
        }

        private void grow() {
            long[] ok = keys;
            int[] ov = vals;
            boolean[] ou = used;
            keys = new long[ok.length * 2];
            vals = new int[ok.length * 2];
            used = new boolean[ok.length * 2];
            mask = keys.length - 1;
            for (int i = 0; i < ok.length; i++) {
                if (!ou[i]) continue;
                int j = hash(ok[i]) & mask;
                while (used[j]) j = (j + 1) & mask;
                used[j] = true;
                keys[j] = ok[i];
                vals[j] = ov[i];
            }
        }
    }

    /** Stable merge sort of int indices under a primitive comparator (no boxing). */
    static final class Sorting {
        interface IntComparator {
            int compare(int a, int b);
        }

        private Sorting() {}

        /** Sorts {@code a[from, to)} stably; {@code tmp} must be at least as long as {@code a}. */
        static void mergeSort(int[] a, int from, int to, int[] tmp, IntComparator c) {
            if (to - from <= 24) {
                for (int i = from + 1; i < to; i++) {
                    int v = a[i];
                    int j = i - 1;
                    while (j >= from && c.compare(a[j], v) > 0) {
                        a[j + 1] = a[j];
                        j--;
                    }
                    a[j + 1] = v;
                }
                return;
            }
            int mid = (from + to) >>> 1;
            mergeSort(a, from, mid, tmp, c);
            mergeSort(a, mid, to, tmp, c);
            if (c.compare(a[mid - 1], a[mid]) <= 0) return;
            System.arraycopy(a, from, tmp, from, to - from);
            int i = from, j = mid, k = from;
            while (i < mid && j < to) a[k++] = c.compare(tmp[j], tmp[i]) < 0 ? tmp[j++] : tmp[i++];
            while (i < mid) a[k++] = tmp[i++];
            while (j < to) a[k++] = tmp[j++];
        }
    }

    /** Typed reading of JSON values with errors that name the file and the JSON path. */
    static final class JsonIn {
        private static final JsonFactory FACTORY = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxStringLength(Integer.MAX_VALUE)
                        .build())
                .build();
        final JsonParser p;
        final String source;

        private JsonIn(JsonParser p, String source) {
            this.p = p;
            this.source = source;
        }

        static JsonIn open(InputStream in, String source) throws IOException {
            JsonParser p = FACTORY.createParser(in);
            p.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
            return new JsonIn(p, source);
        }

        static CocoFormatException invalid(String source, JsonProcessingException e) {
            var loc = e.getLocation();
            String at = loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
            return new CocoFormatException(source + ": invalid JSON" + at + ": " + e.getOriginalMessage(), e);
        }

        CocoFormatException error(String where, String msg) {
            return new CocoFormatException(source + ": " + where + ": " + msg);
        }

        static String describe(JsonParser p) throws IOException {
            JsonToken t = p.currentToken();
            if (t == null) return "end of input";
            return switch (t) {
                case START_OBJECT -> "an object";
                case START_ARRAY -> "an array";
                case VALUE_STRING -> "a string (\"" + abbreviate(p.getText()) + "\")";
                case VALUE_NUMBER_INT -> "an integer (" + p.getText() + ")";
                case VALUE_NUMBER_FLOAT -> "a number (" + p.getText() + ")";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean (" + p.getText() + ")";
                case VALUE_NULL -> "null";
                default -> t.toString();
            };
        }

        private static String abbreviate(String s) {
            return s.length() > 40 ? s.substring(0, 40) + "..." : s;
        }

        void expectArray(String where, JsonToken t) throws IOException {
            if (t != JsonToken.START_ARRAY) throw error(where, "expected an array, got " + describe(p));
        }

        void expectObject(String where, JsonToken t) throws IOException {
            if (t != JsonToken.START_OBJECT) throw error(where, "expected an object, got " + describe(p));
        }

        long readLong(String where) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                throw error(where, "expected an integer, got " + describe(p));
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw error(where, "integer out of range: " + p.getText());
            }
            return p.getLongValue();
        }

        int readInt(String where) throws IOException {
            long v = readLong(where);
            if (v != (int) v) throw error(where, "integer out of range: " + v);
            return (int) v;
        }

        double readNumber(String where) throws IOException {
            JsonToken t = p.currentToken();
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                throw error(where, "expected a number, got " + describe(p));
            }
            double v = p.getDoubleValue();
            if (!Double.isFinite(v)) throw error(where, "expected a finite number, got " + p.getText());
            return v;
        }

        boolean readFlag(String where) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_TRUE) return true;
            if (t == JsonToken.VALUE_FALSE) return false;
            if (t == JsonToken.VALUE_NUMBER_INT) return p.getLongValue() != 0;
            throw error(where, "expected 0, 1 or a boolean, got " + describe(p));
        }

        void readBox(String where, double[] box) throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw error(where, "expected an array of 4 numbers [x, y, w, h], got " + describe(p));
            }
            int n = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (n == 4) throw error(where, "expected an array of 4 numbers [x, y, w, h], got more than 4 values");
                box[n] = readNumber(where + "[" + n + "]");
                n++;
            }
            if (n != 4) throw error(where, "expected an array of 4 numbers [x, y, w, h], got " + n + " values");
        }
    }
}
