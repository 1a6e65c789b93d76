package io.dydet.eval;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One detection in the COCO results format: {@code {"image_id", "category_id", "bbox": [x, y, w, h], "score"}},
 * box in pixels of the original image, top-left corner plus size.
 *
 * <p>As in pycocotools' {@code loadRes}, a detection's area (for the small/medium/large ranges) is its box area
 * {@code width * height}.
 *
 * @param imageId COCO image id
 * @param categoryId COCO category id (detections of categories the ground truth does not list are not evaluated,
 *     as in pycocotools)
 * @param x left edge
 * @param y top edge
 * @param width box width
 * @param height box height
 * @param score confidence; higher ranks first
 */
public record CocoDetection(
        long imageId, int categoryId, double x, double y, double width, double height, double score) {
    /** @throws IllegalArgumentException a box coordinate or the score is NaN or infinite */
    public CocoDetection {
        if (!(Double.isFinite(x) && Double.isFinite(y) && Double.isFinite(width) && Double.isFinite(height))) {
            throw new IllegalArgumentException(
                    "detection box must be finite: [" + x + ", " + y + ", " + width + ", " + height + "]");
        }
        if (!Double.isFinite(score)) throw new IllegalArgumentException("detection score must be finite: " + score);
    }

    /** The box area {@code width * height}, which COCO uses as the detection's area. */
    public double area() {
        return width * height;
    }

    /**
     * Reads a COCO results JSON file: an array of objects with integer {@code image_id} and {@code category_id},
     * {@code bbox} (4 numbers) and numeric {@code score}; other fields are ignored. Order is kept (it decides
     * ties in score, as in pycocotools).
     *
     * @throws CocoFormatException invalid JSON, not an array, or a missing or mistyped field; the message names the
     *     file and the entry, e.g. {@code "dt.json: $[12].score: missing field"}
     * @throws IOException the file cannot be read
     */
    public static List<CocoDetection> readResults(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return readResults(in, file.toString());
        }
    }

    /**
     * Reads a COCO results JSON document from a stream (not closed); {@code sourceName} names it in error messages.
     *
     * @see #readResults(Path)
     */
    public static List<CocoDetection> readResults(InputStream in, String sourceName) throws IOException {
        Objects.requireNonNull(in, "in");
        String src = sourceName == null ? "<stream>" : sourceName;
        JsonIn j = JsonIn.open(in, src);
        try (JsonParser p = j.p) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw j.error(
                        "$", "expected a JSON array of detections (COCO results format), got " + JsonIn.describe(p));
            }
            List<CocoDetection> out = new ArrayList<>();
            double[] box = new double[4];
            int idx = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                String where = "$[" + idx + "]";
                j.expectObject(where, p.currentToken());
                long imageId = 0;
                int categoryId = 0;
                double score = 0;
                int have = 0; // bits: image_id, category_id, bbox, score
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    p.nextToken();
                    switch (f) {
                        case "image_id" -> {
                            imageId = j.readLong(where + ".image_id");
                            have |= 1;
                        }
                        case "category_id" -> {
                            categoryId = j.readInt(where + ".category_id");
                            have |= 2;
                        }
                        case "bbox" -> {
                            j.readBox(where + ".bbox", box);
                            have |= 4;
                        }
                        case "score" -> {
                            score = j.readNumber(where + ".score");
                            have |= 8;
                        }
                        default -> p.skipChildren();
                    }
                }
                if (have != 15) {
                    String[] names = {"image_id", "category_id", "bbox", "score"};
                    for (int b = 0; b < names.length; b++) {
                        if ((have & (1 << b)) == 0) throw j.error(where, "missing field '" + names[b] + "'");
                    }
                }
                out.add(new CocoDetection(imageId, categoryId, box[0], box[1], box[2], box[3], score));
                idx++;
            }
            if (p.nextToken() != null) throw j.error("$", "unexpected content after the results array");
            return Collections.unmodifiableList(out);
        } catch (JsonProcessingException e) {
            throw JsonIn.invalid(src, e);
        }
    }
}
