package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.testing.Golden;
import io.dydet.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training's per-epoch validation over a validation split. */
class EpochValidatorTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    /**
     * Issue 20: a 2000x1 image in the validation split (its short side truncates to 0 px at --img 64) used to stop
     * the run after epoch 1; now both routes count it as one more image with one more target.
     */
    @Test
    void aDegenerateValidationImageIsEvaluatedAndValidationGoesOn() throws Exception {
        TrainData.make(dir, 1);
        Path good;
        try (Stream<Path> s = Files.list(dir.resolve("images/train"))) {
            good = s.findFirst().orElseThrow();
        }
        Path thin = TestImages.png(dir.resolve("images/train"), "thin", 2000, 1);
        Files.writeString(dir.resolve("labels/train/thin_2000x1.txt"), "0 0.5 0.5 0.5 1\n");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = Golden.open("dy-yolov7-w025").model(m.newSubManager());
            EpochValidator alone = new EpochValidator(List.of(good), 80, 64, 4);
            EpochValidator mixed = new EpochValidator(List.of(thin, good), 80, 64, 4);
            assertEquals(List.of(), mixed.problems());
            assertEquals(2, mixed.size());
            EpochValidator.Result a = alone.run(model.network(), model.stateDict(), m, Float.NaN, null);
            EpochValidator.Result b = mixed.run(model.network(), model.stateDict(), m, Float.NaN, null);
            assertTrue(a.main().targets() > 0, "the fixture image has labels");
            assertEquals(a.main().images() + 1, b.main().images());
            assertEquals(a.main().targets() + 1, b.main().targets());
            assertEquals(a.route1().images() + 1, b.route1().images());
            assertEquals(a.route1().targets() + 1, b.route1().targets());
            assertTrue(b.main().map() >= 0
                    && b.main().map() <= 1
                    && b.route1().map50() >= 0
                    && b.route1().map50() <= 1);
        }
    }
}
