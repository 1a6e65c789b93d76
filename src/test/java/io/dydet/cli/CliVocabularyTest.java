package io.dydet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dydet.json.Json;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every command speaks one vocabulary (README, "Command-line vocabulary"): the same concept has the same primary
 * name everywhere, the original scripts' spellings are aliases, older dydet spellings are hidden aliases, and every
 * --help lists the exit codes.
 */
class CliVocabularyTest {
    /** Concept: the primary long name and the aliases each option of that concept must have. */
    private static final Map<String, List<String>> CONCEPTS = new LinkedHashMap<>();

    static {
        CONCEPTS.put("--img", List.of("--img-size"));
        CONCEPTS.put("--conf", List.of("--conf-thres"));
        CONCEPTS.put("--iou", List.of("--iou-thres"));
        CONCEPTS.put("--batch", List.of("--batch-size"));
        CONCEPTS.put("--weights", List.of("--weight"));
        CONCEPTS.put("--out", List.of("-o"));
    }

    /** Spellings that may only be aliases, never an option's primary name. */
    private static final Set<String> NEVER_PRIMARY = Set.of(
            "--output",
            "--img-size",
            "--conf-thres",
            "--iou-thres",
            "--batch-size",
            "--weight",
            "--rounds",
            "--adam",
            "--sgd",
            "--router-threshold",
            "--dynamic-threshold",
            "--dy_thres",
            "--imgsz",
            "--outdir");

    /** Older dydet spellings: accepted, not shown. */
    private static final Set<String> HIDDEN =
            Set.of("--output", "--rounds", "--adam", "--sgd", "--router-threshold", "--dynamic-threshold");

    static Map<String, CommandLine> commands() {
        Map<String, CommandLine> all = new LinkedHashMap<>();
        CommandLine root = new CommandLine(new Main());
        all.put("dydet", root);
        root.getSubcommands().forEach((name, cl) -> {
            if (!name.equals("help")) all.put(name, cl);
        });
        return all;
    }

    /** The first long name as declared: the one the help and the README use. */
    static String primary(OptionSpec o) {
        return Arrays.stream(o.names())
                .filter(n -> n.startsWith("--"))
                .findFirst()
                .orElse(o.names()[0]);
    }

    @Test
    void everyCommandUsesTheVocabulary() {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (var e : commands().entrySet()) {
            boolean project = false, name = false;
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                checked++;
                List<String> names = Arrays.asList(o.names());
                String p = primary(o);
                String where = e.getKey() + " " + p;
                if (NEVER_PRIMARY.contains(p) && !o.hidden()) problems.add(where + ": not a primary name");
                if (HIDDEN.stream().anyMatch(names::contains) && !o.hidden())
                    problems.add(where + ": an old spelling, must be hidden");
                if (o.hidden() && !HIDDEN.containsAll(names))
                    problems.add(where + ": hidden option that is no known alias");
                for (var c : CONCEPTS.entrySet()) {
                    boolean concept = names.contains(c.getKey())
                            || c.getValue().stream().anyMatch(a -> !a.equals("-o") && names.contains(a));
                    if (!concept) continue;
                    if (!p.equals(c.getKey())) problems.add(where + ": primary name must be " + c.getKey());
                    for (String alias : c.getValue())
                        if (!names.contains(alias)) problems.add(where + ": alias " + alias + " missing");
                }
                if (names.contains("-o") && !names.contains("--out")) problems.add(where + ": -o is --out");
                project |= names.contains("--project");
                name |= names.contains("--name");
            }
            if (project != name) problems.add(e.getKey() + ": run folders are --project and --name together");
        }
        assertTrue(checked > 100, "only " + checked + " options seen");
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void everyHelpListsTheExitCodes() {
        for (var e : commands().entrySet()) {
            StringWriter w = new StringWriter();
            e.getValue().usage(new PrintWriter(w));
            String help = w.toString();
            assertTrue(help.contains("Exit codes:"), e.getKey() + " --help lists no exit codes:\n" + help);
            for (String code : List.of("0", "1", "2")) {
                assertTrue(
                        help.lines().anyMatch(l -> l.strip().startsWith(code + " ")),
                        e.getKey() + " --help misses exit code " + code + ":\n" + help);
            }
        }
    }

    static <T> T parse(T command, String... args) {
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void oldSpellingsStillParse() {
        assertEquals(
                Path.of("x.safetensors"),
                parse(
                                new CalibrateCommand(),
                                "--weights",
                                "m.safetensors",
                                "--data",
                                "d.yaml",
                                "--output",
                                "x.safetensors")
                        .output);
        assertEquals(
                Path.of("y.safetensors"), parse(new ImportCommand(), "ckpt.pt", "--output", "y.safetensors").output);
        assertEquals(5, parse(new BenchmarkCommand(), "--model", "dy-yolov7", "--rounds", "5").runs);
        assertEquals("adam", parse(new TrainCommand(), "--data", "d.yaml", "--adam").o.optimizer);
        TrainRouterCommand tr =
                parse(new TrainRouterCommand(), "--data", "d.yaml", "--sgd", "--weight", "s1.safetensors");
        assertEquals("sgd", tr.o.optimizer);
        assertEquals(Path.of("s1.safetensors"), tr.modelOptions.weights);
        DetectCommand d = parse(
                new DetectCommand(),
                "--source",
                "x",
                "--weight",
                "w.safetensors",
                "--img-size",
                "320",
                "--conf-thres",
                "0.4",
                "--iou-thres",
                "0.6",
                "--router-threshold",
                "0.7");
        assertEquals(320, d.detectorOptions.img);
        assertEquals(0.4f, d.detectorOptions.conf);
        assertEquals(0.6f, d.detectorOptions.iou);
        assertEquals(0.7f, d.threshold.dyThres.floatValue());
        assertEquals(
                4,
                parse(
                                new ValCommand(),
                                "--data",
                                "d.yaml",
                                "--weights",
                                "w.safetensors",
                                "--batch-size",
                                "4",
                                "--save-json")
                        .batch);
    }

    @Test
    void importWithoutOutIsAUsageError() {
        assertEquals(2, CliTest.run("import", "ckpt.pt").code());
    }

    /** Without --img, info (like val, calibrate and benchmark) uses the size the model file records, not 640. */
    @Test
    void imageSizeDefaultsToTheModelFiles(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("small.safetensors");
        ModelFiles.writeInitialized(f, ModelSpec.builtIn("dy-yolov7").withWidth(0.125), 320, 0);
        CliTest.Result r = CliTest.run("info", "--weights", f.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.MAPPER.readTree(r.out());
        assertEquals(320, j.get("img").asInt());
    }
}
