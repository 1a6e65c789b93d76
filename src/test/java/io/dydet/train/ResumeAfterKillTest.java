package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.model.ModelFiles;
import io.dydet.weights.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training process killed with SIGKILL in the middle of an epoch leaves no corrupt file, and --resume reaches the
 * same epoch count and schedule (iterations, optimiser steps, learning rates per epoch) as an uninterrupted run.
 */
class ResumeAfterKillTest {
    @TempDir
    Path dir;

    @Test
    void killedMidEpochResumesOnSchedule() throws Exception {
        Path data = TrainData.make(dir.resolve("set"), 8);
        Path hyp = TrainData.quietHyp(dir);
        int epochs = 4;
        // batch 2 of 8 images: 4 iterations per epoch, an optimiser step every 2 (nominal batch 4)
        TrainArgs args = TrainArgs.builder()
                .step(TrainingStep.DETECTOR)
                .width(0.25)
                .data(data.toString())
                .hyp(hyp.toString())
                .epochs(epochs)
                .batch(2)
                .img(64)
                .workers(1)
                .adam(false)
                .linearLr(false)
                .minWarmup(0)
                .nominalBatch(4)
                .validate(false)
                .valBatch(4)
                .lr0(0.01)
                .autoanchor(false)
                .build();

        Path killed = dir.resolve("killed");
        Files.createDirectories(killed);
        Files.writeString(killed.resolve("args.yaml"), args.toYaml());
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                "io.dydet.cli.Main",
                "train",
                "--model",
                "dy-yolov7",
                "--width",
                "0.25",
                "--data",
                data.toString(),
                "--hyp",
                hyp.toString(),
                "--epochs",
                Integer.toString(epochs),
                "--batch",
                "2",
                "--img",
                "64",
                "--workers",
                "1",
                "--min-warmup",
                "0",
                "--nominal-batch",
                "4",
                "--noval",
                "--lr0",
                "0.01",
                "--noautoanchor",
                "--project",
                dir.toString(),
                "--name",
                "killedrun"));
        Path run = dir.resolve("killedrun");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile())
                .start();
        Path results = run.resolve("results.csv");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        // wait until epoch 1 is saved, then kill during epoch 2
        while (!(Files.exists(results) && Files.readAllLines(results).size() >= 2)) {
            assertTrue(p.isAlive(), "training process ended early: " + Files.readString(dir.resolve("child.log")));
            assertTrue(
                    System.nanoTime() < deadline,
                    "epoch 1 did not finish in time: " + Files.readString(dir.resolve("child.log")));
            Thread.sleep(100);
        }
        Thread.sleep(700);
        p.destroyForcibly(); // SIGKILL on Linux
        p.waitFor(30, TimeUnit.SECONDS);
        int rowsAtKill = Files.readAllLines(results).size() - 1;
        assertTrue(rowsAtKill >= 1 && rowsAtKill < epochs, "killed mid-run, after " + rowsAtKill + " epochs");

        // every file the run left opens; no temp file is left behind as the real name
        try (Stream<Path> s = Files.list(run.resolve("weights"))) {
            for (Path f : s.toList()) {
                if (f.getFileName().toString().endsWith(".safetensors"))
                    SafeTensors.open(f).close();
            }
        }

        try (Trainer t = Trainer.resume(run, null, TrainListener.SILENT)) {
            Trainer.Outcome o = t.run();
            assertEquals(epochs - rowsAtKill, o.epochs().size());
        }
        Path straight = dir.resolve("straight");
        try (Trainer t = Trainer.start(args, straight, TrainListener.SILENT)) {
            t.run();
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            TrainingCheckpoint.Progress a = TrainingCheckpoint.read(
                            run.resolve("weights/" + TrainingCheckpoint.FILE), m)
                    .progress();
            TrainingCheckpoint.Progress b = TrainingCheckpoint.read(
                            straight.resolve("weights/" + TrainingCheckpoint.FILE), m)
                    .progress();
            assertEquals(b.epochsDone(), a.epochsDone());
            assertEquals(b.iteration(), a.iteration());
            assertEquals(b.lastOptimizerStep(), a.lastOptimizerStep());
            assertEquals(b.emaUpdates(), a.emaUpdates());
            ModelFiles.Loaded resumed = ModelFiles.open(run.resolve("weights/last.safetensors"), null, m);
            ModelFiles.Loaded uninterrupted = ModelFiles.open(straight.resolve("weights/last.safetensors"), null, m);
            // everything a run depends on is in the state file and the seeded loader, so the weights agree bit for bit
            for (var e : uninterrupted.model().stateDict().entrySet()) {
                NDArray other = resumed.model().stateDict().get(e.getKey());
                assertTrue(
                        e.getValue().contentEquals(other),
                        e.getKey() + " differs between the resumed and the uninterrupted run");
            }
        }
        List<String> ra = Files.readAllLines(run.resolve("results.csv")),
                rb = Files.readAllLines(straight.resolve("results.csv"));
        assertEquals(rb.size(), ra.size());
        List<String> head = List.of(rb.get(0).split(","));
        for (String col : List.of("epoch", "lr0", "lr1", "lr2")) {
            int c = head.indexOf(col);
            for (int r = 1; r < rb.size(); r++)
                assertEquals(rb.get(r).split(",")[c], ra.get(r).split(",")[c], col + " of epoch row " + r);
        }
    }
}
