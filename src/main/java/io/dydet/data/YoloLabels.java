package io.dydet.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * YOLO label files: one object per line, {@code class cx cy w h} normalised to the image, found by swapping the
 * last {@code /images/} of the image path for {@code /labels/} and the extension for {@code .txt}.
 * A missing label file means "no objects".
 */
public final class YoloLabels {
    /** One labelled object, normalised centre and size. */
    public record Label(int classId, float cx, float cy, float w, float h) {}

    private YoloLabels() {}

    public static Path labelPathFor(Path image) {
        String s = image.toString();
        int i = s.lastIndexOf("/images/");
        String swapped = i >= 0 ? s.substring(0, i) + "/labels/" + s.substring(i + "/images/".length()) : s;
        int dot = swapped.lastIndexOf('.');
        int slash = swapped.lastIndexOf('/');
        return Path.of((dot > slash ? swapped.substring(0, dot) : swapped) + ".txt");
    }

    /** A label file with malformed lines: its message lists every one, a line each ("file:line: reason"). */
    public static final class LabelException extends IOException {
        private final List<String> problems;

        LabelException(List<String> problems) {
            super(String.join("\n", problems));
            this.problems = List.copyOf(problems);
        }

        /** Every malformed line, in file order. */
        public List<String> problems() {
            return problems;
        }
    }

    /**
     * Reads the labels of an image; a malformed line fails the file with a {@link LabelException} that names every
     * malformed line with its file, line and what was expected.
     */
    public static List<Label> read(Path image, int nc) throws IOException {
        Path file = labelPathFor(image);
        if (!Files.exists(file)) return List.of();
        List<Label> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) continue;
            String problem = parse(file + ":" + (n + 1), line, nc, out);
            if (problem != null) problems.add(problem);
        }
        if (!problems.isEmpty()) throw new LabelException(problems);
        return out;
    }

    /** Adds one line's label; returns what is wrong with the line, or null. */
    private static String parse(String where, String line, int nc, List<Label> out) {
        String[] f = line.split("\\s+");
        if (f.length != 5) return where + ": expected 5 fields 'class cx cy w h', got " + f.length + ": '" + line + "'";
        int cls;
        float[] v = new float[4];
        try {
            double c = Double.parseDouble(f[0]);
            if (c != Math.rint(c)) return where + ": class must be an integer, got " + f[0];
            cls = (int) c;
            for (int k = 0; k < 4; k++) v[k] = Float.parseFloat(f[k + 1]);
        } catch (NumberFormatException e) {
            return where + ": not a number in '" + line + "'";
        }
        if (cls < 0 || cls >= nc) return where + ": class " + cls + " outside 0.." + (nc - 1) + " (nc " + nc + ")";
        for (int k = 0; k < 4; k++) {
            if (!(v[k] >= 0f && v[k] <= 1f))
                return where + ": coordinates must be normalised to 0..1, got '" + line + "'";
        }
        out.add(new Label(cls, v[0], v[1], v[2], v[3]));
        return null;
    }
}
