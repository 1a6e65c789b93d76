package io.dydet.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data YAML and YOLO labels: the original's layout, and bad input named by file and line. */
class DataConfigTest {
    @TempDir
    Path dir;

    private Path dataset(String labelLine) throws IOException {
        Path img = Files.createDirectories(dir.resolve("images/val")).resolve("1.jpg");
        Files.write(img, new byte[] {1});
        Files.createDirectories(dir.resolve("labels/val"));
        if (labelLine != null)
            Files.writeString(dir.resolve("labels/val/1.txt"), "0 0.5 0.5 0.2 0.2\n" + labelLine + "\n");
        Path yaml = dir.resolve("d.yaml");
        Files.writeString(yaml, "train: images/val\nval: images/val\nnc: 2\nnames: [a, b]\n");
        return yaml;
    }

    @Test
    void relativePathsResolveAgainstTheYamlFolderAndLabelsSwapFolders() throws Exception {
        DataConfig dc = DataConfig.load(dataset("1 0.1 0.2 0.1 0.1"));
        List<Path> imgs = dc.images("val");
        assertEquals(List.of(dir.resolve("images/val/1.jpg").toAbsolutePath().normalize()), imgs);
        assertEquals(
                dir.resolve("labels/val/1.txt").toAbsolutePath().normalize(), YoloLabels.labelPathFor(imgs.get(0)));
        assertEquals(2, YoloLabels.read(imgs.get(0), 2).size());
    }

    @Test
    void missingLabelFileMeansNoObjects() throws Exception {
        DataConfig dc = DataConfig.load(dataset(null));
        assertTrue(YoloLabels.read(dc.images("val").get(0), 2).isEmpty());
    }

    @Test
    void badLabelLinesAreNamedByFileAndLine() throws Exception {
        for (String[] c : new String[][] {
            {"5 0.5 0.5 0.1 0.1", "class 5 outside 0..1"},
            {"1 1.5 0.5 0.1 0.1", "normalised to 0..1"},
            {"1 0.5 0.5 0.1", "expected 5 fields"},
            {"x 0.5 0.5 0.1 0.1", "not a number"}
        }) {
            DataConfig dc = DataConfig.load(dataset(c[0]));
            IOException e = assertThrows(
                    IOException.class, () -> YoloLabels.read(dc.images("val").get(0), 2));
            assertTrue(e.getMessage().contains("1.txt:2") && e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    /** Issue 20: only the first bad line of a label file was named; every one is, in file order. */
    @Test
    void everyBadLabelLineIsNamed() throws Exception {
        DataConfig dc =
                DataConfig.load(dataset("5 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.1\n\nx 0.5 0.5 0.1 0.1"));
        YoloLabels.LabelException e = assertThrows(
                YoloLabels.LabelException.class,
                () -> YoloLabels.read(dc.images("val").get(0), 2));
        Path file = dir.resolve("labels/val/1.txt").toAbsolutePath().normalize();
        List<String> p = e.problems();
        assertEquals(3, p.size(), p.toString());
        assertTrue(p.get(0).startsWith(file + ":2: class 5 outside 0..1"), p.get(0));
        assertTrue(p.get(1).startsWith(file + ":4: expected 5 fields"), p.get(1));
        assertTrue(p.get(2).startsWith(file + ":6: not a number"), p.get(2));
        assertEquals(String.join("\n", p), e.getMessage());
    }

    @Test
    void anImageListedButMissingIsReportedByName() throws Exception {
        Path list = dir.resolve("val.txt");
        Files.writeString(list, "./images/val/absent.jpg\n");
        Path yaml = dir.resolve("list.yaml");
        Files.writeString(yaml, "val: val.txt\nnc: 1\nnames: [a]\n");
        Path missing = DataConfig.load(yaml).images("val").get(0);
        ImageException e = assertThrows(ImageException.class, () -> Images.read(missing, Images.DEFAULT_PIXEL_LIMIT));
        assertTrue(e.getMessage().contains("absent.jpg"), e.getMessage());
    }

    @Test
    void inconsistentYamlAndEmptySplitAreClear() throws Exception {
        Path y = dir.resolve("bad.yaml");
        Files.writeString(y, "val: images/val\nnc: 3\nnames: [a, b]\n");
        IOException e = assertThrows(IOException.class, () -> DataConfig.load(y));
        assertTrue(e.getMessage().contains("nc is 3 but 'names' has 2"), e.getMessage());
        Files.createDirectories(dir.resolve("empty"));
        Path y2 = dir.resolve("empty.yaml");
        Files.writeString(y2, "val: empty\nnc: 1\nnames: [a]\n");
        IOException e2 =
                assertThrows(IOException.class, () -> DataConfig.load(y2).images("val"));
        assertTrue(e2.getMessage().contains("holds no images"), e2.getMessage());
        Path y3 = dir.resolve("missing.yaml");
        Files.writeString(y3, "val: nowhere\nnc: 1\nnames: [a]\n");
        IOException e3 =
                assertThrows(IOException.class, () -> DataConfig.load(y3).images("val"));
        assertTrue(e3.getMessage().contains("neither a folder nor a .txt list"), e3.getMessage());
    }

    @Test
    void step2TrainsOnTheHeldOutRouterSplitWhichMustShareNoImageWithStep1() throws Exception {
        Path train = Files.createDirectories(dir.resolve("images/train")),
                held = Files.createDirectories(dir.resolve("images/router"));
        Files.write(train.resolve("a.jpg"), new byte[] {1});
        Files.write(held.resolve("b.jpg"), new byte[] {1});
        Path yaml = dir.resolve("d.yaml");
        Files.writeString(yaml, "train: images/train\nval: images/train\nnc: 1\n");
        DataConfig original = DataConfig.load(yaml);
        assertEquals(
                original.images("train"),
                original.routerImages(),
                "no router split: step 2 trains on step 1's images, as the original");
        assertEquals(null, original.difficultyFile());

        Files.writeString(
                yaml, "train: images/train\nval: images/train\nrouter: images/router\ndifficulty: diff.csv\nnc: 1\n");
        DataConfig heldOut = DataConfig.load(yaml);
        assertEquals(List.of(held.resolve("b.jpg").toAbsolutePath().normalize()), heldOut.routerImages());
        assertEquals(dir.resolve("diff.csv").toAbsolutePath().normalize(), heldOut.difficultyFile());

        // the same image reached through another path (a list file naming it) is still an overlap
        Files.writeString(dir.resolve("router.txt"), "./images/router/b.jpg\n./images/train/../train/a.jpg\n");
        Files.writeString(yaml, "train: images/train\nval: images/train\nrouter: router.txt\nnc: 1\n");
        IOException e =
                assertThrows(IOException.class, () -> DataConfig.load(yaml).routerImages());
        assertTrue(
                e.getMessage().contains("'router' split must hold images step 1 did not train on")
                        && e.getMessage().contains("1 of its 2")
                        && e.getMessage().contains("a.jpg"),
                e.getMessage());
    }
}
