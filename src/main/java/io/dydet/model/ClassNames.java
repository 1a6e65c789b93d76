package io.dydet.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Class names: COCO's 80 built in, or one name per line in a text file. */
public final class ClassNames {
    /** The 80 COCO class names in the order of the original's class ids. */
    public static final List<String> COCO = List.of(
            "person",
            "bicycle",
            "car",
            "motorcycle",
            "airplane",
            "bus",
            "train",
            "truck",
            "boat",
            "traffic light",
            "fire hydrant",
            "stop sign",
            "parking meter",
            "bench",
            "bird",
            "cat",
            "dog",
            "horse",
            "sheep",
            "cow",
            "elephant",
            "bear",
            "zebra",
            "giraffe",
            "backpack",
            "umbrella",
            "handbag",
            "tie",
            "suitcase",
            "frisbee",
            "skis",
            "snowboard",
            "sports ball",
            "kite",
            "baseball bat",
            "baseball glove",
            "skateboard",
            "surfboard",
            "tennis racket",
            "bottle",
            "wine glass",
            "cup",
            "fork",
            "knife",
            "spoon",
            "bowl",
            "banana",
            "apple",
            "sandwich",
            "orange",
            "broccoli",
            "carrot",
            "hot dog",
            "pizza",
            "donut",
            "cake",
            "chair",
            "couch",
            "potted plant",
            "bed",
            "dining table",
            "toilet",
            "tv",
            "laptop",
            "mouse",
            "remote",
            "keyboard",
            "cell phone",
            "microwave",
            "oven",
            "toaster",
            "sink",
            "refrigerator",
            "book",
            "clock",
            "vase",
            "scissors",
            "teddy bear",
            "hair drier",
            "toothbrush");

    /** COCO category ids of the 80 contiguous classes (the original's coco80_to_coco91_class). */
    public static final int[] COCO80_TO_91 = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34,
        35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
        64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90
    };

    private ClassNames() {}

    /** "coco" or a path to a text file with one name per line (blank lines ignored). */
    public static List<String> resolve(String coco_or_file) throws IOException {
        if (coco_or_file.equalsIgnoreCase("coco")) return COCO;
        Path p = Path.of(coco_or_file);
        if (!Files.isRegularFile(p))
            throw new IOException("class names: '" + coco_or_file + "' is neither 'coco' nor a readable file");
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) if (!line.isBlank()) names.add(line.strip());
        if (names.isEmpty()) throw new IOException("class names file " + p + " holds no names");
        return List.copyOf(names);
    }

    /**
     * Class ids from ids or names (e.g. "0" or "person"), each one of the model's {@code names}; what is neither
     * is refused with the message detect and serve both give.
     */
    public static Set<Integer> select(List<String> idsOrNames, List<String> names) {
        Set<Integer> ids = new LinkedHashSet<>();
        for (String part : idsOrNames) {
            String p = part.trim();
            if (p.isEmpty()) continue;
            int id = names.indexOf(p);
            if (id < 0) {
                try {
                    id = Integer.parseInt(p);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("classes: '" + p
                            + "' is neither a class id nor one of the model's " + names.size() + " class names");
                }
                checkId(id, names);
            }
            ids.add(id);
        }
        if (ids.isEmpty()) throw new IllegalArgumentException("classes is empty");
        return ids;
    }

    /** Refuses a class id outside the model's {@code names}. */
    public static void checkId(int id, List<String> names) {
        if (id < 0 || id >= names.size())
            throw new IllegalArgumentException("classes: id " + id + " is outside 0.." + (names.size() - 1));
    }

    /** Names for nc classes when none are known: COCO's for 80, else "class0", "class1", ... */
    public static List<String> defaults(int nc) {
        if (nc == COCO.size()) return COCO;
        List<String> n = new ArrayList<>();
        for (int i = 0; i < nc; i++) n.add("class" + i);
        return List.copyOf(n);
    }
}
