package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.NativeOps;
import io.dydet.engine.check.MachineFingerprint;
import io.dydet.model.ModelFiles;
import io.dydet.model.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Step-1 training end to end on four fixture images at 64 px (a smoke test: a few steps, not learning), then step 2
 * on its result; and the data checks that must stop a run before it starts.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainerTest {
    @TempDir
    static Path dir;

    static Path step1Model;

    static final class Recorder implements TrainListener {
        final List<String> messages = new ArrayList<>();
        final List<EpochResult> epochs = new ArrayList<>();

        @Override
        public void message(String text) {
            messages.add(text);
        }

        @Override
        public void epochDone(EpochResult result) {
            epochs.add(result);
        }
    }

    @Test
    @Order(1)
    void stepOneTrainsLossFallsAndWritesAReloadableModel() throws Exception {
        Path data = TrainData.make(dir.resolve("set"), 4);
        Recorder rec = new Recorder();
        Path run = dir.resolve("run1");
        Trainer.Outcome o;
        TrainArgs args = TrainData.step1(data, TrainData.quietHyp(dir), 6);
        args = TrainArgs.builder()
                .step(args.step())
                .model(args.model())
                .width(args.width())
                .data(args.data())
                .hyp(args.hyp())
                .epochs(6)
                .batch(4)
                .img(64)
                .workers(1)
                .adam(true)
                .linearLr(false)
                .minWarmup(0)
                .nominalBatch(4)
                .valBatch(4)
                .lr0(0.003)
                .autoanchor(true)
                .build();
        try (Trainer t = Trainer.start(args, run, rec)) {
            o = t.run();
        }
        assertEquals(6, o.epochs().size());
        double first = rec.epochs.get(0).losses().get("total"),
                last = rec.epochs.get(5).losses().get("total");
        assertTrue(last < first * 0.95, "loss should fall on the same four images: first " + first + ", last " + last);
        for (EpochResult e : rec.epochs) assertTrue(Double.isFinite(e.map()), "validation ran every epoch: " + e);
        List<String> csv = Files.readAllLines(run.resolve("results.csv"));
        assertEquals(7, csv.size(), "header and six rows");
        assertTrue(
                csv.get(0).startsWith("epoch,train/box,train/obj,train/cls,train/total,P,R,mAP50,mAP50_95"),
                csv.get(0));
        for (String f : List.of(
                "args.yaml",
                "hyp.yaml",
                "model.yaml",
                "results.png",
                "weights/last.safetensors",
                "weights/best.safetensors",
                "weights/" + TrainingCheckpoint.FILE)) {
            assertTrue(Files.size(run.resolve(f)) > 0, f);
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelFiles.Loaded loaded = ModelFiles.open(run.resolve("weights/last.safetensors"), null, m);
            assertEquals("6", loaded.artifact().provenance().get("epochs"));
            assertFalse(loaded.model().network().isDynamic(), "step 1 trains the step-1 form");
            TrainingCheckpoint.Contents c =
                    TrainingCheckpoint.read(run.resolve("weights/" + TrainingCheckpoint.FILE), m);
            assertEquals(6, c.progress().epochsDone());
            assertEquals(6, c.progress().iteration());
            assertEquals(5, c.progress().lastOptimizerStep(), "nominal batch 4 = batch 4: a step every iteration");
            assertEquals(6, c.progress().emaUpdates());
        }
        try (Stream<Path> s = Files.list(run.resolve("weights"))) {
            assertEquals(
                    List.of(),
                    s.map(p -> p.getFileName().toString())
                            .filter(n -> n.contains("tmp"))
                            .toList(),
                    "no temp files left");
        }
        step1Model = run.resolve("weights/last.safetensors");
    }

    /** bf16 mixed precision where the CPU has bfloat16 instructions; elsewhere, refused by name before training. */
    @Test
    @Order(20)
    void stepOneTrainsInBFloat16WhereTheCpuCanElseIsRefused() throws Exception {
        Path data = TrainData.make(dir.resolve("set-bf16"), 4);
        TrainArgs base = TrainData.step1(data, TrainData.quietHyp(dir), 6);
        TrainArgs args = base.toBuilder()
                .precision(Precision.BFLOAT16)
                .lr0(0.003)
                .adam(true)
                .build();
        Path run = dir.resolve("run-bf16");
        Set<String> flags = MachineFingerprint.cpuFlags();
        boolean capable =
                NativeOps.bfloat16Available() && (flags.contains("avx512_bf16") || flags.contains("amx_bf16"));
        Recorder rec = new Recorder();
        if (!capable) {
            try (Trainer t = Trainer.start(args, run, rec)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, t::run);
                assertTrue(e.getMessage().contains("training in bf16 is refused"), e.getMessage());
            }
            return;
        }
        try (Trainer t = Trainer.start(args, run, rec)) {
            t.run();
        }
        double first = rec.epochs.get(0).losses().get("total"),
                last = rec.epochs.get(5).losses().get("total");
        assertTrue(
                last < first * 0.95,
                "bf16: loss should fall on the same four images: first " + first + ", last " + last);
        assertTrue(Files.readString(run.resolve("args.yaml")).contains("precision: \"bf16\""));
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelFiles.Loaded loaded = ModelFiles.open(run.resolve("weights/last.safetensors"), null, m);
            for (var e : loaded.model().stateDict().entrySet())
                if (e.getValue().getDataType() == ai.djl.ndarray.types.DataType.FLOAT32)
                    assertTrue(
                            e.getValue()
                                    .isInfinite()
                                    .logicalOr(e.getValue().isNaN())
                                    .none()
                                    .getBoolean(),
                            e.getKey());
        }
    }

    @Test
    @Order(2)
    void resumeExtendsAFinishedRun() throws Exception {
        Path run = dir.resolve("run1");
        Path weights = run.resolve("weights");
        // what saves killed mid-write leave behind (the state's is as large as the model and optimiser together)
        List<Path> stale = List.of(
                weights.resolve(".last.state.safetensors.5f3a9c0e12b4d678.tmp"),
                weights.resolve(".last.safetensors.1c2d.tmp"),
                weights.resolve("best.safetensors.tmp"));
        for (Path p : stale) Files.write(p, new byte[1000]);
        Path notOurs = Files.writeString(weights.resolve("notes.tmp"), "kept");
        Recorder rec = new Recorder();
        try (Trainer t = Trainer.resume(run, 7, rec)) {
            for (Path p : stale) assertFalse(Files.exists(p), p + " is removed before training goes on");
            Trainer.Outcome o = t.run();
            assertEquals(1, o.epochs().size(), "only the added epoch runs");
            assertEquals(6, o.epochs().get(0).epoch());
        }
        for (Path p : stale) {
            String line = "removed " + p + " (1000 bytes), left by a save that was interrupted";
            assertEquals(1, rec.messages.stream().filter(line::equals).count(), line + " in " + rec.messages);
        }
        assertTrue(Files.exists(notOurs), "files of other names stay");
        assertTrue(rec.messages.stream().anyMatch(m -> m.contains("after epoch 6 of 7")), rec.messages.toString());
        assertEquals(8, Files.readAllLines(run.resolve("results.csv")).size());
        assertTrue(Files.readString(run.resolve("args.yaml")).contains("epochs: 7"));
    }

    @Test
    @Order(3)
    void trainRouterAddsARouterToAStepOneModel() throws Exception {
        Path data = dir.resolve("set/data.yaml");
        TrainArgs a = TrainArgs.builder()
                .step(TrainingStep.ROUTER)
                .model(null)
                .data(data.toString())
                .hyp("finetune-dynamic")
                .epochs(1)
                .batch(2)
                .img(64)
                .workers(1)
                .weights(step1Model.toString())
                .adam(true)
                .linearLr(true)
                .minWarmup(0)
                .nominalBatch(2)
                .valBatch(4)
                .lr0(1e-3)
                .autoanchor(false)
                .build();
        Recorder rec = new Recorder();
        Path run = dir.resolve("router1");
        try (Trainer t = Trainer.start(a, run, rec)) {
            assertTrue(t.model().network().isDynamic());
            t.run();
        }
        assertTrue(rec.messages.stream().anyMatch(m -> m.contains("has no router")), rec.messages.toString());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelFiles.Loaded loaded = ModelFiles.open(run.resolve("weights/last.safetensors"), null, m);
            assertTrue(loaded.model().network().isDynamic());
            // everything but the router is the step-1 model's
            ModelFiles.Loaded before = ModelFiles.open(step1Model, null, m);
            for (var e : before.model().stateDict().entrySet()) {
                if (e.getKey().contains("bn.running") || e.getKey().endsWith("num_batches_tracked"))
                    continue; // anchors too are the step-1 model's
                assertEquals(
                        0f,
                        e.getValue()
                                .sub(loaded.model().stateDict().get(e.getKey()))
                                .abs()
                                .max()
                                .getFloat(),
                        0f,
                        e.getKey() + " is frozen");
            }
        }
        List<String> header =
                List.of(Files.readAllLines(run.resolve("results.csv")).get(0).split(","));
        assertTrue(
                header.containsAll(List.of("train/gap", "train/delta", "train/score", "train/route2")),
                header.toString());
    }

    @Test
    @Order(3)
    void trainRouterOnAHeldOutSplitReportsTheRouterAgainstKnownDifficulty() throws Exception {
        Recorder rec = new Recorder();
        List<String> lines = trainRouterOnHeldOutSplit("router-held-out", null, rec);
        assertTrue(
                rec.messages.stream().anyMatch(m -> m.contains("held-out 'router' split") && m.contains("4 images")),
                rec.messages.toString());
        List<String> header = List.of(lines.get(0).split(","));
        String[] row = lines.get(1).split(",");
        double auc = Double.parseDouble(row[header.indexOf("train/difficulty_auc")]);
        // two easy and two hard images: the AUC is a multiple of 1/4 (ties count half: of 1/8)
        assertTrue(auc >= 0 && auc <= 1 && Math.abs(auc * 8 - Math.rint(auc * 8)) < 1e-4, "AUC " + auc);
        double corr = Double.parseDouble(row[header.indexOf("train/difficulty_corr")]);
        assertTrue(corr >= -1 && corr <= 1, "rank correlation " + corr);
        assertTrue(header.containsAll(List.of("train/rank_corr", "train/gap", "train/delta")), header.toString());
    }

    @Test
    @Order(3)
    void trainRouterWithTheApCriterionMeasuresEachImagesBenefitOnce() throws Exception {
        Recorder rec = new Recorder();
        List<String> lines = trainRouterOnHeldOutSplit("router-ap", ApCriterion.CRITERION, rec);
        assertTrue(
                rec.messages.stream().anyMatch(m -> m.startsWith("AP criterion over 4 images")),
                rec.messages.toString());
        List<String> header = List.of(lines.get(0).split(","));
        assertTrue(
                header.containsAll(List.of(
                        "train/benefit", "train/delta", "train/score", "train/rank_corr", "train/difficulty_auc")),
                header.toString());
        String[] row = lines.get(1).split(",");
        assertTrue(Double.isFinite(Double.parseDouble(row[header.indexOf("train/benefit")])), lines.get(1));
    }

    /** Step 2 for one epoch on a 4-image 'router' split (images 40-43 of the test set, easy and hard alternating). */
    private List<String> trainRouterOnHeldOutSplit(String name, String criterion, Recorder rec) throws Exception {
        Path set = dir.resolve("set");
        Path held = set.resolve("images/router");
        if (!Files.isDirectory(held)) {
            Files.createDirectories(held);
            Files.createDirectories(set.resolve("labels/router"));
            List<Path> others;
            try (var s = Files.list(TrainData.DATA.resolve("images/val2017"))) {
                others = s.sorted().skip(40).limit(4).toList();
            }
            StringBuilder difficulty = new StringBuilder("file,split,difficulty,objects\n");
            for (int i = 0; i < others.size(); i++) {
                Path img = others.get(i);
                Files.copy(img, held.resolve(img.getFileName()));
                Path lbl = TrainData.DATA
                        .resolve("labels/val2017")
                        .resolve(img.getFileName().toString().replace(".jpg", ".txt"));
                if (Files.exists(lbl))
                    Files.copy(lbl, set.resolve("labels/router").resolve(lbl.getFileName()));
                difficulty
                        .append(img.getFileName().toString().replace(".jpg", ""))
                        .append(",router,")
                        .append(i % 2 == 0 ? "easy" : "hard")
                        .append(",1\n");
            }
            Files.writeString(set.resolve("difficulty.csv"), difficulty.toString());
            Files.writeString(
                    set.resolve("data-router.yaml"),
                    "train: images/train\nval: images/train\nrouter: images/router\ndifficulty: difficulty.csv\n"
                            + "nc: 80\nnames: " + TrainData.namesJson() + "\n");
        }
        TrainArgs a = TrainArgs.builder()
                .step(TrainingStep.ROUTER)
                .model(null)
                .data(set.resolve("data-router.yaml").toString())
                .hyp("finetune-dynamic")
                .epochs(1)
                .batch(2)
                .img(64)
                .workers(1)
                .weights(step1Model.toString())
                .adam(true)
                .linearLr(true)
                .minWarmup(0)
                .nominalBatch(2)
                .validate(false)
                .valBatch(4)
                .lr0(1e-3)
                .autoanchor(false)
                .routerCriterion(RouterCriterion.parse(criterion))
                .build();
        Path run = dir.resolve(name);
        try (Trainer t = Trainer.start(a, run, rec)) {
            t.run();
        }
        return Files.readAllLines(run.resolve("results.csv"));
    }

    @Test
    @Order(4)
    void route2AloneTrainsOnlyRoute2sOwnTensors() throws Exception {
        Path data = dir.resolve("set/data.yaml");
        TrainArgs a = TrainArgs.builder()
                .step(TrainingStep.ROUTE2)
                .model(null)
                .data(data.toString())
                .hyp(TrainData.quietHyp(dir).toString())
                .epochs(1)
                .batch(2)
                .img(64)
                .workers(1)
                .weights(step1Model.toString())
                .adam(true)
                .linearLr(false)
                .minWarmup(0)
                .nominalBatch(2)
                .valBatch(4)
                .lr0(1e-3)
                .autoanchor(false)
                .build();
        Path run = dir.resolve("route2");
        try (Trainer t = Trainer.start(a, run, new Recorder())) {
            assertFalse(t.model().network().isDynamic(), "the step-1 form, no router");
            t.run();
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> before =
                    ModelFiles.open(step1Model, null, m).model().stateDict();
            Map<String, NDArray> after = ModelFiles.open(run.resolve("weights/last.safetensors"), null, m)
                    .model()
                    .stateDict();
            int changed = 0;
            for (var e : before.entrySet()) {
                double gap = e.getValue()
                        .toType(ai.djl.ndarray.types.DataType.FLOAT64, true)
                        .sub(after.get(e.getKey()).toType(ai.djl.ndarray.types.DataType.FLOAT64, true))
                        .abs()
                        .max()
                        .getDouble();
                if (io.dydet.model.DynamicDetModel.isRoute2Only(e.getKey())) {
                    if (e.getKey().endsWith(".weight") && gap > 0) changed++;
                } else {
                    // route 1 is frozen, BatchNorm statistics and anchors included; the saved weights are the EMA's,
                    // whose
                    // update v*d + v*(1-d) may round a frozen value by an ulp
                    double scale = e.getValue()
                            .toType(ai.djl.ndarray.types.DataType.FLOAT64, true)
                            .abs()
                            .max()
                            .getDouble();
                    assertEquals(0.0, gap, 1e-6 * Math.max(scale, 1.0), e.getKey() + " is route 1's and stays");
                }
            }
            assertTrue(changed > 50, "route 2's weights train: " + changed + " changed");
        }
        List<String> header =
                List.of(Files.readAllLines(run.resolve("results.csv")).get(0).split(","));
        assertTrue(header.containsAll(List.of("train/box", "mAP50", "route1/mAP50")), header.toString());
    }

    @Test
    void aFixedSeedReproducesTheRunBitForBit() throws Exception {
        Path data = TrainData.make(dir.resolve("seeded"), 4);
        TrainArgs base = TrainData.step1(data, TrainData.quietHyp(dir), 2);
        List<float[]> weights = new ArrayList<>();
        for (int workers : new int[] {1, 2}) {
            TrainArgs a = TrainArgs.builder()
                    .step(base.step())
                    .model(base.model())
                    .width(base.width())
                    .data(base.data())
                    .hyp("scratch.p5")
                    .epochs(2)
                    .batch(2)
                    .img(64)
                    .workers(workers)
                    .seed(7)
                    .adam(false)
                    .linearLr(false)
                    .minWarmup(0)
                    .nominalBatch(4)
                    .validate(false)
                    .valBatch(4)
                    .lr0(0.01)
                    .autoanchor(true)
                    .build();
            Path run = dir.resolve("seeded-run" + workers);
            try (Trainer t = Trainer.start(a, run, TrainListener.SILENT)) {
                t.run();
                float[] all =
                        t.model().stateDict().get("model_h2.0.cv1.conv.weight").toFloatArray();
                weights.add(all);
            }
        }
        assertTrue(
                java.util.Arrays.equals(weights.get(0), weights.get(1)),
                "same seed, 1 or 2 loader threads: identical weights (full augmentation)");
    }

    @Test
    void badImagesAndLabelsAreListedAndLeftOut() throws Exception {
        Path data = TrainData.make(dir.resolve("bad"), 4);
        Path images = dir.resolve("bad/images/train");
        Files.write(images.resolve("000000999999.jpg"), new byte[] {1, 2, 3, 4, 5});
        Path someLabel;
        try (Stream<Path> s = Files.list(dir.resolve("bad/labels/train"))) {
            someLabel = s.sorted().findFirst().orElseThrow();
        }
        Files.writeString(someLabel, "0 0.5 0.5 0.2\n");
        Recorder rec = new Recorder();
        try (Trainer t = Trainer.start(TrainData.step1(data, TrainData.quietHyp(dir), 1), dir.resolve("badrun"), rec)) {
            t.run();
        }
        String all = String.join("\n", rec.messages);
        assertTrue(all.contains("000000999999.jpg"), all);
        assertTrue(all.contains(someLabel.getFileName() + ":1"), all);
        assertEquals(1, rec.epochs.size(), "trained on the good images");
    }

    @Test
    void classOutsideTheDataSetOrNoImagesFailBeforeTraining() throws Exception {
        Path data = TrainData.make(dir.resolve("wrongclass"), 2);
        Path label;
        try (Stream<Path> s = Files.list(dir.resolve("wrongclass/labels/train"))) {
            label = s.sorted().findFirst().orElseThrow();
        }
        Files.writeString(label, "80 0.5 0.5 0.2 0.2\n");
        Path run = dir.resolve("wrongrun");
        IOException e = assertThrows(
                IOException.class,
                () -> Trainer.start(TrainData.step1(data, TrainData.quietHyp(dir), 1), run, TrainListener.SILENT));
        assertTrue(
                e.getMessage().contains(label.getFileName() + ":1")
                        && e.getMessage().contains("80"),
                e.getMessage());
        assertFalse(Files.exists(run.resolve("weights")), "nothing written");

        Path empty = dir.resolve("empty");
        Files.createDirectories(empty.resolve("images/train"));
        Files.writeString(empty.resolve("data.yaml"), "train: images/train\nval: images/train\nnc: 80\n");
        IOException e2 = assertThrows(
                IOException.class,
                () -> Trainer.start(
                        TrainData.step1(empty.resolve("data.yaml"), TrainData.quietHyp(dir), 1),
                        dir.resolve("emptyrun"),
                        TrainListener.SILENT));
        assertTrue(e2.getMessage().contains("data.yaml") && e2.getMessage().contains("train"), e2.getMessage());
    }

    @Test
    void anImageSizeOffTheStrideIsRefusedBeforeTraining() throws Exception {
        Path data = TrainData.make(dir.resolve("offstride"), 2);
        Path run = dir.resolve("offstriderun");
        TrainArgs a = TrainData.step1(data, TrainData.quietHyp(dir), 1).toBuilder()
                .img(100)
                .build();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Trainer.start(a, run, TrainListener.SILENT));
        assertTrue(e.getMessage().contains("--img 100") && e.getMessage().contains("stride 32"), e.getMessage());
        assertFalse(Files.exists(run.resolve("weights")), "nothing written");
    }
}
