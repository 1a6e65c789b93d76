package io.dydet.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Known image difficulty: a CSV {@code file,split,easy|hard[,...]} with a header, keyed by the image's name without
 * extension (the demo's generator writes one as difficulty.csv). Reports measure the router against it.
 */
public final class Difficulty {
    private Difficulty() {}

    /**
     * Image name (without extension) to whether it is hard.
     *
     * @throws IOException a line that is not {@code file,split,easy|hard,...}, with its line number
     */
    public static Map<String, Boolean> read(Path csv) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("difficulty file " + csv + " does not exist");
        }
        if (lines.isEmpty() || !lines.get(0).startsWith("file,split,difficulty")) {
            throw new IOException(csv + ":1: expected the header file,split,difficulty,objects");
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            String[] f = lines.get(i).split(",");
            if (f.length < 3 || !(f[2].equals("easy") || f[2].equals("hard"))) {
                throw new IOException(
                        csv + ":" + (i + 1) + ": expected file,split,easy|hard,objects, got '" + lines.get(i) + "'");
            }
            out.put(f[0], f[2].equals("hard"));
        }
        return out;
    }

    /** An image file's key in {@link #read}: its name without extension. */
    public static String key(Path image) {
        String n = image.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
