package io.dydet.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.dydet.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A data set in the original's data YAML format: {@code train}/{@code val}/{@code test} as a folder of images, a
 * list file of image paths, or a YAML list of those; {@code nc}; {@code names}. Relative paths resolve against the
 * YAML file's folder.
 *
 * <p>dydet's additions, both optional: {@code router}, images held out from step 1 on which step 2 trains the router
 * (on a small data set the detector memorises its training images, so their two routes' losses barely differ and the
 * exit criterion has nothing to learn from); {@code difficulty}, a CSV {@code file,split,easy|hard,...} of known image
 * difficulty (the demo's generator writes one) that step 2 reports the router against.
 */
public record DataConfig(
        Path file,
        Object train,
        Object val,
        Object test,
        Object router,
        String difficulty,
        int nc,
        List<String> names) {
    public DataConfig {
        names = List.copyOf(names);
    }

    public static DataConfig load(Path file) throws IOException {
        JsonNode root;
        try {
            root = Json.YAML.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new IOException("data YAML " + file + " does not exist");
        } catch (IOException e) {
            throw new IOException("data YAML " + file + " is not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject())
            throw new IOException(file + ": expected a mapping with train/val, nc and names");
        JsonNode nc = root.get("nc");
        if (nc == null || !nc.isIntegralNumber() || nc.intValue() < 1)
            throw new IOException(file + ": key 'nc' must be a positive integer, got " + nc);
        List<String> names = new ArrayList<>();
        JsonNode n = root.get("names");
        if (n == null) {
            for (int i = 0; i < nc.intValue(); i++) names.add("class" + i);
        } else if (n.isArray()) {
            n.forEach(e -> names.add(e.asText()));
        } else if (n.isObject()) { // {0: person, 1: bicycle, ...}
            for (int i = 0; i < n.size(); i++) {
                JsonNode e = n.get(Integer.toString(i));
                if (e == null) throw new IOException(file + ": 'names' mapping lacks index " + i);
                names.add(e.asText());
            }
        } else {
            throw new IOException(file + ": key 'names' must be a list of class names");
        }
        if (names.size() != nc.intValue())
            throw new IOException(file + ": nc is " + nc.intValue() + " but 'names' has " + names.size() + " entries");
        JsonNode difficulty = root.get("difficulty");
        if (difficulty != null && !difficulty.isNull() && !difficulty.isTextual())
            throw new IOException(file + ": key 'difficulty' must name a CSV file");
        return new DataConfig(
                file,
                plain(root.get("train")),
                plain(root.get("val")),
                plain(root.get("test")),
                plain(root.get("router")),
                difficulty == null || difficulty.isNull() ? null : difficulty.asText(),
                nc.intValue(),
                names);
    }

    private static Object plain(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isArray()) {
            List<String> l = new ArrayList<>();
            n.forEach(e -> l.add(e.asText()));
            return l;
        }
        return n.asText();
    }

    /** Whether the data set holds images for step 2 apart from step 1's ({@code router}). */
    public boolean hasRouterSplit() {
        return router != null;
    }

    /**
     * The images step 2 trains the router on: the {@code router} split when there is one (checked to share no image
     * with {@code train}), else {@code train} as the original.
     */
    public List<Path> routerImages() throws IOException {
        if (router == null) return images("train");
        List<Path> held = images("router");
        Set<Path> step1 = new HashSet<>();
        for (Path p : images("train")) step1.add(real(p));
        List<Path> shared = held.stream().filter(p -> step1.contains(real(p))).toList();
        if (!shared.isEmpty()) {
            throw new IOException(file + ": the 'router' split must hold images step 1 did not train on, but "
                    + shared.size() + " of its " + held.size() + " are also in 'train', e.g. " + shared.get(0));
        }
        return held;
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /** The difficulty CSV, resolved against the YAML's folder, or null. */
    public Path difficultyFile() {
        return difficulty == null
                ? null
                : file.toAbsolutePath().getParent().resolve(difficulty).normalize();
    }

    /** The images of a split ("train", "val", "test" or "router"), sorted within each folder. */
    public List<Path> images(String split) throws IOException {
        Object entry =
                switch (split) {
                    case "train" -> train;
                    case "val" -> val;
                    case "test" -> test;
                    case "router" -> router;
                    default ->
                        throw new IllegalArgumentException("split must be train, val, test or router, got " + split);
                };
        if (entry == null) throw new IOException(file + ": no '" + split + "' entry");
        List<String> parts =
                entry instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of((String) entry);
        List<Path> out = new ArrayList<>();
        Path base = file.toAbsolutePath().getParent();
        for (String part : parts) {
            Path p = base.resolve(part).normalize();
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile)
                            .filter(Sources::isImageName)
                            .sorted()
                            .forEach(out::add);
                }
            } else if (Files.isRegularFile(p) && p.toString().endsWith(".txt")) {
                Path listBase = p.getParent();
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) continue;
                    String s = line.strip();
                    Path img = s.startsWith("./")
                            ? listBase.resolve(s.substring(2))
                            : Path.of(s).isAbsolute() ? Path.of(s) : listBase.resolve(s);
                    out.add(img.normalize());
                }
            } else {
                throw new IOException(
                        file + ": '" + split + "' entry " + part + " (" + p + ") is neither a folder nor a .txt list");
            }
        }
        if (out.isEmpty()) throw new IOException(file + ": the '" + split + "' split holds no images");
        return out;
    }
}
