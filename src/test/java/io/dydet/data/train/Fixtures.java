package io.dydet.data.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Copies of the project's test data set (src/test/resources/data/coco_val2017_47) into a temporary folder. */
final class Fixtures {
    static final Path DATA = Path.of("src/test/resources/data/coco_val2017_47");

    private Fixtures() {}

    /** The first {@code n} images (sorted) and their label files under {@code dir}/images and {@code dir}/labels. */
    static List<Path> copy(Path dir, int n) throws IOException {
        List<Path> src;
        try (Stream<Path> s = Files.list(DATA.resolve("images/val2017"))) {
            src = s.sorted().limit(n).toList();
        }
        Files.createDirectories(dir.resolve("images/train"));
        Files.createDirectories(dir.resolve("labels/train"));
        List<Path> out = new ArrayList<>();
        for (Path img : src) {
            Path to = dir.resolve("images/train").resolve(img.getFileName());
            Files.copy(img, to);
            Path lbl = DATA.resolve("labels/val2017")
                    .resolve(img.getFileName().toString().replace(".jpg", ".txt"));
            if (Files.exists(lbl)) Files.copy(lbl, label(to));
            out.add(to);
        }
        return out;
    }

    static Path label(Path image) {
        return image.getParent()
                .getParent()
                .getParent()
                .resolve("labels/train")
                .resolve(image.getFileName().toString().replace(".jpg", ".txt"));
    }
}
