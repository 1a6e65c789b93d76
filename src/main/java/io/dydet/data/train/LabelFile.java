package io.dydet.data.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses one YOLO label file for training: {@code class cx cy w h} (normalised box) or
 * {@code class x1 y1 x2 y2 x3 y3 ...} (normalised polygon, at least 3 points; its bounding box becomes the label and
 * the polygon is kept as the object's segment). A missing file means "no objects". Duplicate rows are dropped.
 */
final class LabelFile {
    /** Coordinates this far outside [0, 1] are accepted (and clamped): converters round, e.g. 1.0000001. */
    static final float TOLERANCE = 1e-3f;

    /**
     * The objects of one file, or every malformed line ("file:line: reason"), in file order. Class ids are NOT
     * checked here (that needs nc).
     */
    record Parsed(float[][] labels, List<float[]> segments, int[] lineNumbers, List<String> problems) {}

    private LabelFile() {}

    static Parsed read(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Parsed(new float[0][], List.of(), new int[0], List.of());
        }
        List<float[]> labels = new ArrayList<>();
        List<float[]> segments = new ArrayList<>();
        List<Integer> lineNos = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) continue;
            String problem = parseLine(file + ":" + (n + 1), line, labels, segments, seen);
            if (problem != null) problems.add(problem);
            else if (labels.size() > lineNos.size()) lineNos.add(n + 1);
        }
        if (!problems.isEmpty()) return new Parsed(null, null, null, List.copyOf(problems));
        return new Parsed(
                labels.toArray(new float[0][]),
                segments,
                lineNos.stream().mapToInt(Integer::intValue).toArray(),
                List.of());
    }

    /** Adds one line's object (unless it repeats an earlier one); returns what is wrong with the line, or null. */
    private static String parseLine(
            String where, String line, List<float[]> labels, List<float[]> segments, Set<String> seen) {
        String[] f = line.split("\\s+");
        if (f.length < 5)
            return where + ": expected 'class cx cy w h' or 'class x1 y1 x2 y2 x3 y3 ...', got " + f.length
                    + " field(s): '" + line + "'";
        if (f.length > 5 && (f.length - 1) % 2 != 0)
            return where + ": a polygon needs x y pairs after the class, got " + (f.length - 1) + " coordinates: '"
                    + line + "'";
        if (f.length > 5 && f.length < 7) return where + ": a polygon needs at least 3 points: '" + line + "'";
        double[] v = new double[f.length];
        try {
            for (int k = 0; k < f.length; k++) v[k] = Double.parseDouble(f[k]);
        } catch (NumberFormatException e) {
            return where + ": expected numbers, got '" + line + "'";
        }
        if (v[0] != Math.rint(v[0]) || !Double.isFinite(v[0]))
            return where + ": expected an integer class id, got '" + f[0] + "'";
        for (int k = 1; k < v.length; k++) {
            if (!(v[k] >= -TOLERANCE && v[k] <= 1 + TOLERANCE))
                return where + ": expected coordinates normalised to 0..1, got " + f[k] + " in '" + line + "'";
            v[k] = Math.max(0, Math.min(1, v[k]));
        }
        float[] row;
        float[] segment = null;
        if (f.length == 5) {
            row = new float[] {(float) v[0], (float) v[1], (float) v[2], (float) v[3], (float) v[4]};
        } else {
            segment = new float[v.length - 1];
            double x1 = 1, y1 = 1, x2 = 0, y2 = 0;
            for (int k = 1; k < v.length; k += 2) {
                segment[k - 1] = (float) v[k];
                segment[k] = (float) v[k + 1];
                x1 = Math.min(x1, v[k]);
                x2 = Math.max(x2, v[k]);
                y1 = Math.min(y1, v[k + 1]);
                y2 = Math.max(y2, v[k + 1]);
            }
            row = new float[] {
                (float) v[0], (float) ((x1 + x2) / 2), (float) ((y1 + y2) / 2), (float) (x2 - x1), (float) (y2 - y1)
            };
        }
        if (!(row[3] > 0 && row[4] > 0))
            return where + ": expected a box of positive width and height, got '" + line + "'";
        // the original drops exact duplicate rows (one object listed twice would count twice in the loss)
        String key = Arrays.toString(row) + (segment == null ? "" : Arrays.toString(segment));
        if (!seen.add(key)) return null;
        labels.add(row);
        segments.add(segment);
        return null;
    }
}
