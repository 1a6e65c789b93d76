package io.dydet.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Resolves a detection source: an image file, a folder (its images, sorted), a glob, or a .txt list of paths. */
public final class Sources {
    /** Extensions taken from folders and globs (as the original's image formats). */
    public static final Set<String> IMAGE_EXTENSIONS =
            Set.of("bmp", "jpg", "jpeg", "png", "tif", "tiff", "dng", "webp", "mpo");

    private Sources() {}

    public static boolean isImageName(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot >= 0 && IMAGE_EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    public static List<Path> resolve(String source) throws IOException {
        if (source.contains("*") || source.contains("?")) return glob(source);
        Path p = Path.of(source);
        if (!Files.exists(p)) throw new IOException("source " + source + " does not exist");
        if (Files.isDirectory(p)) {
            try (Stream<Path> s = Files.list(p)) {
                List<Path> files = s.filter(Files::isRegularFile)
                        .filter(f -> isImageName(f) || Videos.isVideoName(f))
                        .sorted()
                        .toList();
                if (files.isEmpty())
                    throw new IOException("source folder " + source + " holds no images ("
                            + String.join(", ", IMAGE_EXTENSIONS) + ")");
                return files;
            }
        }
        if (source.toLowerCase(Locale.ROOT).endsWith(".txt")) {
            List<Path> files = new ArrayList<>();
            Path base = p.toAbsolutePath().getParent();
            for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                Path f = Path.of(line.strip());
                files.add(f.isAbsolute() ? f : base.resolve(f).normalize());
            }
            if (files.isEmpty()) throw new IOException("source list " + source + " is empty");
            return files;
        }
        return List.of(p);
    }

    private static List<Path> glob(String pattern) throws IOException {
        int star = pattern.indexOf('*');
        int q = pattern.indexOf('?');
        int cut = star < 0 ? q : q < 0 ? star : Math.min(star, q);
        int slash = pattern.lastIndexOf('/', cut);
        Path root = slash < 0 ? Path.of(".") : Path.of(pattern.substring(0, slash + 1));
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> files = s.filter(Files::isRegularFile)
                    .filter(f -> m.matches(slash < 0 ? root.relativize(f) : f))
                    .sorted()
                    .toList();
            if (files.isEmpty()) throw new IOException("glob " + pattern + " matches no file");
            return files;
        }
    }
}
