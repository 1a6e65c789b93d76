package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.model.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainArgsTest {
    @TempDir
    Path dir;

    /** args.yaml as the positional record wrote it: runs made before the builder must still resume. */
    private static final String RECORD_ARGS = """
            ---
            step: "router"
            model: null
            width: null
            data: "/data/coco.yaml"
            hyp: "finetune-dynamic"
            epochs: 2
            batch: 1
            img: 640
            device: "cpu"
            workers: 2
            seed: 0
            weights: "/runs/train/exp/weights/last.safetensors"
            adam: true
            linearLr: true
            minWarmup: 1000
            nominalBatch: 64
            validate: true
            valBatch: 32
            labelSmoothing: 0.0
            lr0: null
            cacheDir: null
            dynamicThreshold: 0.5
            valEvery: 1
            autoanchor: false
            mirrorRoutes: false
            routerCriterion: "ap"
            """;

    @Test
    void readsTheArgsOfTheRecordVersion() throws IOException {
        Path f = dir.resolve("args.yaml");
        Files.writeString(f, RECORD_ARGS);
        TrainArgs a = TrainArgs.read(f);
        assertEquals(TrainingStep.ROUTER, a.step());
        assertNull(a.model());
        assertEquals("/data/coco.yaml", a.data());
        assertEquals(RouterCriterion.AP, a.routerCriterion());
        assertTrue(a.apCriterion());
        TrainArgs expected = TrainArgs.builder()
                .step(TrainingStep.ROUTER)
                .model(null)
                .data("/data/coco.yaml")
                .weights("/runs/train/exp/weights/last.safetensors")
                .routerCriterion(RouterCriterion.AP)
                .build();
        assertEquals(expected, a);
        assertEquals(Precision.FLOAT32, a.precision(), "a file from before the precision setting trains in fp32");
        assertEquals(RECORD_ARGS + "precision: \"fp32\"\n", a.toYaml(), "written as before, key for key");
        for (String[] c : new String[][] {{"null", null}, {"\"loss\"", "LOSS"}}) {
            Files.writeString(f, RECORD_ARGS.replace("routerCriterion: \"ap\"", "routerCriterion: " + c[0]));
            RouterCriterion r = TrainArgs.read(f).routerCriterion();
            assertEquals(c[1] == null ? null : RouterCriterion.valueOf(c[1]), r);
            assertFalse(TrainArgs.read(f).apCriterion());
        }
    }

    @Test
    void roundTripsEveryStep() throws IOException {
        for (TrainingStep s : TrainingStep.ALL) {
            TrainArgs a = TrainArgs.builder()
                    .step(s)
                    .data("d.yaml")
                    .width(0.25)
                    .epochs(3)
                    .lr0(0.01)
                    .cacheDir("/c")
                    .seed(7)
                    .precision(Precision.BFLOAT16)
                    .build();
            Path f = dir.resolve(s.id() + ".yaml");
            Files.writeString(f, a.toYaml());
            assertEquals(a, TrainArgs.read(f));
            assertTrue(a.toYaml().contains("step: \"" + s.id() + "\""));
            assertEquals(Precision.BFLOAT16, TrainArgs.read(f).precision());
        }
    }

    @Test
    void defaultsAreTheCommandLinesByStep() {
        TrainArgs step1 = TrainArgs.builder().data("d.yaml").build();
        assertEquals(TrainingStep.DETECTOR, step1.step());
        assertEquals("scratch.p5", step1.hyp());
        assertEquals(300, step1.epochs());
        assertEquals(16, step1.batch());
        assertTrue(step1.autoanchor());
        assertFalse(step1.adam());
        TrainArgs router =
                TrainArgs.builder().step(TrainingStep.ROUTER).data("d.yaml").build();
        assertEquals("finetune-dynamic", router.hyp());
        assertEquals(2, router.epochs());
        assertEquals(1, router.batch());
        assertTrue(router.adam(), "AdamW, the original's step-2 optimiser");
        assertEquals(10, TrainArgs.builder().step(TrainingStep.ROUTE2).build().epochs());
        assertEquals(5, step1.withEpochs(5).epochs());
        assertEquals(step1, step1.toBuilder().build());
    }

    @Test
    void keepsItsValidationAndNamesBadValues() throws IOException {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainArgs.builder().epochs(0).build());
        assertEquals("--epochs must be >= 1, got 0", e.getMessage());
        assertEquals(
                "--val-every must be >= 1, got 0",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> TrainArgs.builder().valEvery(0).build())
                        .getMessage());
        assertEquals(
                "--criterion must be loss or ap, got 'x'",
                assertThrows(IllegalArgumentException.class, () -> RouterCriterion.parse("x"))
                        .getMessage());
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, RECORD_ARGS.replace("step: \"router\"", "step: \"step3\""));
        assertTrue(assertThrows(IOException.class, () -> TrainArgs.read(f))
                .getMessage()
                .contains("unknown training step 'step3'"));
        Files.writeString(f, RECORD_ARGS.replace("epochs: 2", "epochs: many"));
        String m = assertThrows(IOException.class, () -> TrainArgs.read(f)).getMessage();
        assertTrue(m.startsWith(f + ": cannot read the run's arguments") && m.contains("'epochs'"), m);
        assertTrue(assertThrows(IOException.class, () -> TrainArgs.read(dir.resolve("none.yaml")))
                .getMessage()
                .contains("does not exist"));
    }
}
