package io.dydet.eval;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.dydet.eval.CocoGroundTruth.Annotation;
import io.dydet.eval.CocoGroundTruth.Bbox;
import io.dydet.eval.CocoGroundTruth.Category;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Streaming reader and validator of a COCO instances JSON document for {@link CocoGroundTruth#read(InputStream,
 * String)}; its errors name the source and the JSON path of the offending entry.
 */
final class CocoGroundTruthReader {
    private CocoGroundTruthReader() {}

    /** Reads the document from {@code in} (not closed); {@code src} names it in error messages. */
    static CocoGroundTruth read(InputStream in, String src) throws IOException {
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
}
