package io.dydet.data.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.data.DataConfig;
import io.dydet.data.train.TrainingSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo data: a valid YOLO data set, deterministic for a seed, with hard scenes harder than easy ones. */
class DemoDataGeneratorTest {
    @TempDir
    Path dir;

    @Test
    void writesACheckedDeterministicDataSet() throws IOException {
        DemoDataGenerator.Summary s = new DemoDataGenerator(128, 5).write(dir.resolve("a"), 12);
        assertEquals(9, s.trainImages());
        assertEquals(3, s.valImages());
        assertEquals(6, s.hardImages());
        DataConfig dc = DataConfig.load(s.dataYaml());
        assertEquals(DemoDataGenerator.CLASSES, dc.names());
        TrainingSet train = TrainingSet.open(dc.images("train"), dc.nc(), null);
        assertEquals(List.of(), train.problems(), "the data set checker finds nothing wrong");
        assertEquals(9, train.size());
        assertEquals(3, dc.images("val").size());
        assertEquals(
                s.objects(),
                train.objectCount()
                        + TrainingSet.open(dc.images("val"), dc.nc(), null).objectCount());

        List<String> rows = Files.readAllLines(dir.resolve("a/difficulty.csv"));
        assertEquals(13, rows.size());
        double easyObjects = 0, hardObjects = 0;
        for (String r : rows.subList(1, rows.size())) {
            String[] f = r.split(",");
            if (f[2].equals("hard")) hardObjects += Integer.parseInt(f[3]);
            else easyObjects += Integer.parseInt(f[3]);
        }
        assertTrue(
                hardObjects > 2 * easyObjects,
                "hard scenes hold many more objects: " + hardObjects + " vs " + easyObjects);

        new DemoDataGenerator(128, 5).write(dir.resolve("b"), 12);
        new DemoDataGenerator(128, 6).write(dir.resolve("c"), 12);
        Path first = dir.resolve("a/images/train/train_00000.png");
        assertArrayEquals(
                Files.readAllBytes(first),
                Files.readAllBytes(dir.resolve("b/images/train/train_00000.png")),
                "same seed, same image");
        assertArrayEquals(
                Files.readAllBytes(dir.resolve("a/labels/val/val_00011.txt")),
                Files.readAllBytes(dir.resolve("b/labels/val/val_00011.txt")));
        assertTrue(
                !java.util.Arrays.equals(
                        Files.readAllBytes(first), Files.readAllBytes(dir.resolve("c/images/train/train_00000.png"))),
                "another seed, another image");
        try (Stream<Path> files = Files.walk(dir.resolve("a"))) {
            assertEquals(
                    List.of(), files.filter(p -> p.toString().contains(".tmp")).toList(), "no temporary files left");
        }
        assertThrows(
                IOException.class,
                () -> new DemoDataGenerator(128, 5).write(dir.resolve("a"), 12),
                "refuses to overwrite a data set");
    }

    @Test
    void routerImagesAreAHeldOutSplitWithKnownDifficulty() throws IOException {
        DemoDataGenerator.Summary s = new DemoDataGenerator(64, 3).write(dir.resolve("r"), 12, 6);
        assertEquals(9, s.trainImages());
        assertEquals(3, s.valImages());
        assertEquals(6, s.routerImages());
        DataConfig dc = DataConfig.load(s.dataYaml());
        List<Path> held = dc.routerImages();
        assertEquals(6, held.size());
        assertTrue(held.stream().allMatch(p -> p.getFileName().toString().startsWith("router_")), held.toString());
        assertTrue(
                java.util.Collections.disjoint(held, dc.images("train"))
                        && java.util.Collections.disjoint(held, dc.images("val")),
                "never one of step 1's or the evaluation's images");
        assertEquals(List.of(), TrainingSet.open(held, dc.nc(), null).problems());
        java.util.Map<String, Boolean> hard = io.dydet.data.Difficulty.read(dc.difficultyFile());
        assertEquals(18, hard.size());
        assertEquals(
                3,
                held.stream()
                        .filter(p -> hard.get(io.dydet.data.Difficulty.key(p)))
                        .count(),
                "half the router images are hard");
        // the first 12 images are those of write(out, 12): the held-out split only adds
        new DemoDataGenerator(64, 3).write(dir.resolve("plain"), 12);
        assertArrayEquals(
                Files.readAllBytes(dir.resolve("plain/images/train/train_00000.png")),
                Files.readAllBytes(dir.resolve("r/images/train/train_00000.png")));
        assertThrows(IOException.class, () -> DataConfig.load(dir.resolve("plain/data.yaml"))
                .images("router"));
    }

    @Test
    void filesDoNotDependOnOpenCvsThreadCount(@TempDir Path dir) throws IOException {
        io.dydet.data.Images.loadOpenCv();
        int threads = org.opencv.core.Core.getNumThreads();
        try {
            org.opencv.core.Core.setNumThreads(4);
            new DemoDataGenerator(64, 5).write(dir.resolve("many"), 8);
            org.opencv.core.Core.setNumThreads(1);
            new DemoDataGenerator(64, 5).write(dir.resolve("one"), 8);
        } finally {
            org.opencv.core.Core.setNumThreads(threads);
        }
        try (Stream<Path> files = Files.walk(dir.resolve("many"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path other = dir.resolve("one").resolve(dir.resolve("many").relativize(f));
                assertArrayEquals(
                        Files.readAllBytes(f),
                        Files.readAllBytes(other),
                        f.getFileName().toString());
            }
        }
    }
}
