package io.dydet.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A data set in the original's data YAML format: {@code train}/{@code val}/{@code test} as a folder of images, a
 * list file of image paths, or a YAML list of those; {@code nc}; {@code names}. Relative paths resolve against the
 * YAML file's folder.
 */
public record DataConfig(Path file, Object train, Object val, Object test, int nc, List<String> names) {
    public DataConfig {
        names = List.copyOf(names);
    }

    public static DataConfig load(Path file) throws IOException {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("data YAML " + file + " does not exist");
        } catch (IOException e) {
            throw new IOException("data YAML " + file + " is not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": expected a mapping with train/val, nc and names");
        JsonNode nc = root.get("nc");
        if (nc == null || !nc.isIntegralNumber() || nc.intValue() < 1) throw new IOException(file + ": key 'nc' must be a positive integer, got " + nc);
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
        if (names.size() != nc.intValue()) throw new IOException(file + ": nc is " + nc.intValue() + " but 'names' has " + names.size() + " entries");
        return new DataConfig(file, plain(root.get("train")), plain(root.get("val")), plain(root.get("test")), nc.intValue(), names);
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

    /** The images of a split ("train", "val" or "test"), sorted within each folder. */
    public List<Path> images(String split) throws IOException {
        Object entry = switch (split) {
            case "train" -> train;
            case "val" -> val;
            case "test" -> test;
            default -> throw new IllegalArgumentException("split must be train, val or test, got " + split);
        };
        if (entry == null) throw new IOException(file + ": no '" + split + "' entry");
        List<String> parts = entry instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of((String) entry);
        List<Path> out = new ArrayList<>();
        Path base = file.toAbsolutePath().getParent();
        for (String part : parts) {
            Path p = base.resolve(part).normalize();
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile).filter(Sources::isImageName).sorted().forEach(out::add);
                }
            } else if (Files.isRegularFile(p) && p.toString().endsWith(".txt")) {
                Path listBase = p.getParent();
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) continue;
                    String s = line.strip();
                    Path img = s.startsWith("./") ? listBase.resolve(s.substring(2)) : Path.of(s).isAbsolute() ? Path.of(s) : listBase.resolve(s);
                    out.add(img.normalize());
                }
            } else {
                throw new IOException(file + ": '" + split + "' entry " + part + " (" + p + ") is neither a folder nor a .txt list");
            }
        }
        if (out.isEmpty()) throw new IOException(file + ": the '" + split + "' split holds no images");
        return out;
    }
}
