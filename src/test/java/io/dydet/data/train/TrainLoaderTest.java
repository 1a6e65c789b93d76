package io.dydet.data.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.dydet.data.Hyperparameters;
import io.dydet.engine.Engines;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainLoaderTest {
    static final int S = 128;

    @TempDir
    static Path dir;

    static TrainingSet set;

    @BeforeAll
    static void open() throws IOException {
        set = TrainingSet.open(Fixtures.copy(dir, 10), 80, null);
    }

    static List<TrainBatch> all(TrainLoader l, int epoch, int start) {
        List<TrainBatch> out = new ArrayList<>();
        for (TrainBatch b : l.epoch(epoch, start)) out.add(b);
        return out;
    }

    static byte[] bytes(TrainBatch b) {
        ByteBuffer d = b.pixels().duplicate();
        byte[] x = new byte[d.remaining()];
        d.get(x);
        return x;
    }

    static void assertSame(TrainBatch a, TrainBatch b) {
        assertEquals(a.index(), b.index());
        assertEquals(a.paths(), b.paths());
        assertArrayEquals(bytes(a), bytes(b));
        assertTrue(Arrays.deepEquals(a.targets(), b.targets()));
    }

    @Test
    void batchesDoNotDependOnTheWorkerCountAndResumeSkipsAhead() {
        Hyperparameters hyp = Hyperparameters.scratchP5();
        List<TrainBatch> one, two, resumed;
        try (TrainLoader l = new TrainLoader(set, hyp, S, 4, 1, 123, true, false)) {
            assertEquals(3, l.batchesPerEpoch());
            one = all(l, 2, 0);
        }
        try (TrainLoader l = new TrainLoader(set, hyp, S, 4, 2, 123, true, false)) {
            two = all(l, 2, 0);
            resumed = all(l, 2, 2);
        }
        assertEquals(3, one.size());
        for (int i = 0; i < 3; i++) assertSame(one.get(i), two.get(i));
        assertEquals(1, resumed.size());
        assertSame(one.get(2), resumed.get(0));
        // sequential order, last partial batch kept
        assertEquals(List.of(set.get(8).image(), set.get(9).image()), one.get(2).paths());
        assertEquals(2, one.get(2).size());
        assertEquals(2 * S * S * 3, one.get(2).pixels().remaining());
        for (float[] t : one.get(0).targets()) assertTrue(t[0] >= 0 && t[0] < 4 && t.length == 6);
        // another epoch draws differently
        try (TrainLoader l = new TrainLoader(set, hyp, S, 4, 0, 123, true, false)) {
            List<TrainBatch> other = all(l, 3, 0);
            assertFalse(Arrays.equals(bytes(one.get(0)), bytes(other.get(0))));
            assertSame(one.get(1), all(l, 2, 1).get(0)); // 0 workers = same bytes as threaded
        }
    }

    @Test
    void shuffleIsASeededPermutationPerEpoch() {
        try (TrainLoader l = new TrainLoader(set, Hyperparameters.scratchP5(), S, 3, 1, 9, true, true);
                TrainLoader same = new TrainLoader(set, Hyperparameters.scratchP5(), S, 3, 1, 9, true, true)) {
            int[] o = l.order(0);
            assertArrayEquals(o, same.order(0));
            assertNotEquals(Arrays.toString(o), Arrays.toString(l.order(1)));
            int[] sorted = o.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < sorted.length; i++) assertEquals(i, sorted[i]);
            List<TrainBatch> b = all(l, 0, 3);
            assertEquals(List.of(set.get(o[9]).image()), b.get(0).paths());
        }
        try (TrainLoader l = new TrainLoader(set, Hyperparameters.scratchP5(), S, 3, 1, 9, true, false)) {
            assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, l.order(5));
        }
    }

    @Test
    void imagesAndTargetsBecomeEngineArrays() {
        Engines.start(2);
        try (TrainLoader l = new TrainLoader(set, Hyperparameters.scratchP5(), S, 2, 1, 1, true, false);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            TrainBatch b = l.epoch(0).iterator().next();
            NDArray x = b.images(m);
            assertEquals(new Shape(2, 3, S, S), x.getShape());
            assertEquals(DataType.FLOAT32, x.getDataType());
            byte[] px = b.imageBytes(1);
            int y = 37, xx = 91;
            int o = (y * S + xx) * 3;
            float[] rgb = {x.getFloat(1, 0, y, xx), x.getFloat(1, 1, y, xx), x.getFloat(1, 2, y, xx)};
            assertEquals((px[o + 2] & 0xff) / 255f, rgb[0], 1e-6); // R from BGR's third byte
            assertEquals((px[o + 1] & 0xff) / 255f, rgb[1], 1e-6);
            assertEquals((px[o] & 0xff) / 255f, rgb[2], 1e-6);
            NDArray t = b.targets(m);
            assertEquals(new Shape(b.targets().length, 6), t.getShape());
            if (b.targets().length > 0) assertArrayEquals(b.targets()[0], Arrays.copyOfRange(t.toFloatArray(), 0, 6));
        }
    }

    @Test
    void aDeletedImageIsReplacedAndTrainingGoesOn(@TempDir Path tmp) throws IOException {
        TrainingSet own = TrainingSet.open(Fixtures.copy(tmp, 4), 80, null);
        Files.delete(own.get(1).image());
        try (TrainLoader l = new TrainLoader(own, TrainAugmentationTest.allOff(), S, 2, 1, 1, false, false)) {
            List<TrainBatch> b = all(l, 0, 0);
            assertEquals(2, b.size());
            assertEquals(2, b.get(0).size());
            // the letterbox-only sample of index 1 is index 2's image
            assertArrayEquals(b.get(0).imageBytes(1), b.get(1).imageBytes(0));
        }
    }

    @Test
    void letterboxOnlyLoadingHasExactLabels() throws IOException {
        try (TrainLoader l = new TrainLoader(set, TrainAugmentationTest.allOff(), S, 5, 1, 1, false, false)) {
            TrainBatch b = l.epoch(0).iterator().next();
            int n0 = set.get(0).objects();
            for (int k = 0; k < n0; k++) {
                float[] t = b.targets()[k];
                assertEquals(0, t[0]);
                assertEquals(set.get(0).labels()[k][0], t[1]);
            }
        }
    }
}
