package io.dydet.data.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.data.YoloLabels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingSetTest {
    @TempDir
    Path dir;

    @Test
    void readsTheFixtureWithLabelsAndSizes() throws IOException {
        List<Path> images = Fixtures.copy(dir, 47);
        TrainingSet set = TrainingSet.open(images, 80, null);
        assertEquals(47, set.size());
        assertTrue(set.problems().isEmpty(), set.problems().toString());
        int lines = 0;
        for (Path p : images) {
            Path l = YoloLabels.labelPathFor(p);
            if (Files.exists(l))
                lines += (int) Files.readAllLines(l).stream()
                        .filter(s -> !s.isBlank())
                        .distinct()
                        .count();
        }
        assertEquals(lines, set.objectCount());
        assertEquals(lines, set.classWidthHeight().length);
        // first label of the first image as in its file, and the decoded size
        LabelledImage first = set.get(0);
        String[] f = Files.readAllLines(YoloLabels.labelPathFor(first.image()))
                .get(0)
                .trim()
                .split("\\s+");
        assertEquals(Float.parseFloat(f[3]), first.labels()[0][3], 0f);
        assertArrayEquals(
                new float[] {Float.parseFloat(f[0]), Float.parseFloat(f[3]), Float.parseFloat(f[4])},
                set.classWidthHeight()[0]);
        int[] hw = io.dydet.data.Images.headerDims(first.image());
        assertArrayEquals(hw, set.heightWidth()[0]);
        assertEquals(
                dir.resolve("labels/train.cache.json").toAbsolutePath(),
                set.cacheFile().toAbsolutePath());
        assertTrue(Files.exists(set.cacheFile()));
    }

    @Test
    void cacheIsReusedAndRebuiltWhenALabelChanges() throws IOException {
        List<Path> images = Fixtures.copy(dir, 6);
        Path cacheDir = dir.resolve("cache");
        int before = TrainingSet.DECODES.get();
        TrainingSet a = TrainingSet.open(images, 80, cacheDir);
        assertEquals(6, TrainingSet.DECODES.get() - before);
        assertTrue(a.cacheFile().startsWith(cacheDir));

        before = TrainingSet.DECODES.get();
        TrainingSet b = TrainingSet.open(images, 80, cacheDir);
        assertEquals(0, TrainingSet.DECODES.get() - before, "second start must not decode");
        assertEquals(a.objectCount(), b.objectCount());
        assertArrayEquals(a.get(2).labels()[0], b.get(2).labels()[0]);

        Path lbl = YoloLabels.labelPathFor(images.get(2));
        Files.writeString(lbl, "5 0.5 0.5 0.25 0.125\n");
        Files.setLastModifiedTime(
                lbl, FileTime.fromMillis(Files.getLastModifiedTime(lbl).toMillis() + 5000));
        before = TrainingSet.DECODES.get();
        TrainingSet c = TrainingSet.open(images, 80, cacheDir);
        assertEquals(1, TrainingSet.DECODES.get() - before, "only the changed image is checked again");
        assertArrayEquals(new float[] {5, 0.5f, 0.5f, 0.25f, 0.125f}, c.get(2).labels()[0]);
        assertEquals(1, c.get(2).objects());

        // a damaged cache is rebuilt, never trusted
        Files.writeString(c.cacheFile(), "{not json");
        before = TrainingSet.DECODES.get();
        TrainingSet d = TrainingSet.open(images, 80, cacheDir);
        assertEquals(6, TrainingSet.DECODES.get() - before);
        assertEquals(c.objectCount(), d.objectCount());
        assertTrue(Files.readString(d.cacheFile()).startsWith("{\"version\""));
    }

    @Test
    void badImagesAndMalformedLabelsAreExcludedAndReported() throws IOException {
        List<Path> images = new ArrayList<>(Fixtures.copy(dir, 5));
        Path corrupt = dir.resolve("images/train/corrupt.jpg");
        byte[] junk = new byte[2000];
        new Random(1).nextBytes(junk);
        Files.write(corrupt, junk);
        images.add(corrupt);
        Path malformed = YoloLabels.labelPathFor(images.get(1));
        Files.writeString(malformed, "0 0.5 0.5 0.2 0.2\n3 0.5 0.5 0.2\n");
        Path outside = YoloLabels.labelPathFor(images.get(3));
        Files.writeString(outside, "0 0.5 1.5 0.2 0.2\n");
        Path negative = YoloLabels.labelPathFor(images.get(4));
        // issue 20: every bad line of a file is listed, not only the first
        Files.writeString(
                negative,
                "\n0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0 0.2\n0 0.5 0.5 0.2 0.2 0.1\n1 0.5 0.5 0.2 0.2\n0 a 0.5 0.2 0.2\n");

        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        TrainingSet set;
        try {
            set = TrainingSet.open(images, 80, null);
        } finally {
            System.setErr(oldErr);
        }
        assertEquals(2, set.size(), set.problems().toString());
        assertEquals(
                List.of(images.get(0), images.get(2)),
                set.images().stream().map(LabelledImage::image).toList());
        List<String> p = set.problems();
        assertEquals(6, p.size(), p.toString());
        assertTrue(p.get(0).startsWith(malformed + ":2: expected 'class cx cy w h'"), p.get(0));
        assertTrue(p.get(1).startsWith(outside + ":1: expected coordinates normalised to 0..1"), p.get(1));
        assertTrue(p.get(2).startsWith(negative + ":3: expected a box of positive width and height"), p.get(2));
        assertTrue(p.get(3).startsWith(negative + ":4: a polygon needs x y pairs"), p.get(3));
        assertTrue(p.get(4).startsWith(negative + ":6: expected numbers"), p.get(4));
        assertTrue(p.get(5).startsWith(corrupt.toString()), p.get(5));
        assertTrue(p.get(5).contains("corrupt") || p.get(5).contains("decodable"), p.get(5));
        // listed once: the trainer prints problems() through its listener, so opening the set prints none of them
        assertTrue(
                !err.toString(StandardCharsets.UTF_8).contains(negative.toString()),
                err.toString(StandardCharsets.UTF_8));

        // the reasons survive the cache
        int before = TrainingSet.DECODES.get();
        TrainingSet again = TrainingSet.open(images, 80, null);
        assertEquals(0, TrainingSet.DECODES.get() - before);
        assertEquals(p, again.problems());

        // and training runs on the rest
        try (TrainLoader l =
                new TrainLoader(set, io.dydet.data.Hyperparameters.scratchP5(), 64, 2, 1, 0, true, false)) {
            int batches = 0;
            for (TrainBatch b : l.epoch(0)) {
                assertEquals(List.of(images.get(0), images.get(2)), b.paths());
                batches++;
            }
            assertEquals(1, batches);
        }
    }

    @Test
    void classIdOutsideNcFailsNamingFileLineAndNc() throws IOException {
        List<Path> images = Fixtures.copy(dir, 3);
        Path lbl = YoloLabels.labelPathFor(images.get(1));
        Files.writeString(lbl, "1 0.5 0.5 0.2 0.2\n80 0.5 0.5 0.2 0.2\n");
        IOException e = assertThrows(IOException.class, () -> TrainingSet.open(images, 80, null));
        assertTrue(e.getMessage().contains(lbl + ":2:"), e.getMessage());
        assertTrue(e.getMessage().contains("nc 80"), e.getMessage());
        // also from the cache (written by the failed start? no: check the cached path as well)
        Files.writeString(lbl, "-1 0.5 0.5 0.2 0.2\n");
        IOException e2 = assertThrows(IOException.class, () -> TrainingSet.open(images, 80, null));
        assertTrue(e2.getMessage().contains(lbl + ":1:"), e2.getMessage());
    }

    @Test
    void emptySetFailsNamingTheSource() throws IOException {
        Files.createDirectories(dir.resolve("images/train"));
        Path bad = dir.resolve("images/train/a.jpg");
        Files.write(bad, new byte[] {1, 2, 3, 4});
        IOException e = assertThrows(
                IOException.class, () -> TrainingSet.open(List.of(bad), 80, null, "data.yaml split 'train'"));
        assertTrue(e.getMessage().startsWith("data.yaml split 'train': no usable training image"), e.getMessage());
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        IOException e2 = assertThrows(IOException.class, () -> TrainingSet.open(List.of(), 80, null, "coco.yaml"));
        assertTrue(e2.getMessage().contains("coco.yaml"), e2.getMessage());
    }

    @Test
    void polygonLabelsGiveTheirBoundingBoxAndKeepTheSegment() throws IOException {
        List<Path> images = Fixtures.copy(dir, 2);
        Path lbl = YoloLabels.labelPathFor(images.get(0));
        Files.writeString(
                lbl,
                "7 0.2 0.3 0.6 0.25 0.5 0.7 0.1 0.5\n7 0.2 0.3 0.6 0.25 0.5 0.7 0.1 0.5\n2 0.5 0.5 0.2 0.2\n",
                StandardCharsets.UTF_8);
        TrainingSet set = TrainingSet.open(images, 80, null);
        LabelledImage im = set.get(0);
        assertEquals(2, im.objects(), "the duplicate row is dropped");
        float[] box = im.labels()[0];
        assertEquals(7, box[0]);
        assertEquals((0.1f + 0.6f) / 2, box[1], 1e-6);
        assertEquals((0.25f + 0.7f) / 2, box[2], 1e-6);
        assertEquals(0.5f, box[3], 1e-6);
        assertEquals(0.45f, box[4], 1e-6);
        assertArrayEquals(
                new float[] {0.2f, 0.3f, 0.6f, 0.25f, 0.5f, 0.7f, 0.1f, 0.5f},
                im.segments().get(0));
        assertNull(im.segments().get(1));
        assertTrue(set.hasSegments());
        // an odd number of coordinates is malformed
        Files.writeString(lbl, "7 0.2 0.3 0.6 0.25 0.5 0.7 0.1\n");
        TrainingSet bad = TrainingSet.open(images, 80, null);
        assertEquals(1, bad.size());
        assertTrue(
                bad.problems().get(0).startsWith(lbl + ":1: a polygon needs x y pairs"),
                bad.problems().toString());
        assertNotNull(bad.get(0));
    }
}
