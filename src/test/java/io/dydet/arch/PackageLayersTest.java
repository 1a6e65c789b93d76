package io.dydet.arch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Imports point one way, along the data's path: engine, box, runs at the bottom; nn, weights, data on them; model
 * and eval above; infer; djl (DJL's model zoo and translator) and serve on infer; train; demo (the end-to-end pipeline); cli on top. A package may use only the packages listed for it here,
 * and every package the foundations below everything: json (the shared mappers) and files (atomic writes).
 */
class PackageLayersTest {
    static final Set<String> FOUNDATIONS = Set.of("json", "files");

    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("json", Set.of()),
            Map.entry("files", Set.of()),
            Map.entry("engine", Set.of()),
            Map.entry("box", Set.of()),
            Map.entry("runs", Set.of()),
            Map.entry("nn", Set.of("engine")),
            Map.entry("weights", Set.of("engine")),
            Map.entry("data", Set.of("engine", "box")),
            Map.entry("model", Set.of("engine", "nn", "weights", "box")),
            Map.entry("eval", Set.of("engine", "box", "data", "runs")),
            Map.entry("onnx", Set.of("engine", "nn", "model", "weights", "runs")),
            Map.entry("infer", Set.of("engine", "box", "data", "nn", "model", "weights", "eval", "runs", "onnx")),
            Map.entry(
                    "train",
                    Set.of("onnx", "engine", "box", "data", "nn", "model", "weights", "eval", "runs", "infer")),
            Map.entry(
                    "demo",
                    Set.of(
                            "onnx", "engine", "box", "data", "nn", "model", "weights", "eval", "runs", "infer",
                            "train")),
            Map.entry("djl", Set.of("engine", "box", "data", "model", "weights", "eval", "infer")),
            Map.entry("serve", Set.of("onnx", "engine", "box", "data", "model", "weights", "eval", "runs", "infer")),
            Map.entry(
                    "cli",
                    Set.of(
                            "onnx", "engine", "box", "data", "nn", "model", "weights", "eval", "runs", "infer", "train",
                            "demo", "serve")));

    @Test
    void importsFollowTheLayers() throws IOException {
        Path root = Path.of("src/main/java/io/dydet");
        assertTrue(Files.isDirectory(root), "run from the project root: " + root.toAbsolutePath());
        Pattern imp = Pattern.compile("(?:import\\s+(?:static\\s+)?|[^\\w.])io\\.dydet\\.(\\w+)\\.");
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = root.relativize(f).getName(0).toString();
                if (!ALLOWED.containsKey(pkg)) {
                    violations.add(f + ": package '" + pkg + "' has no layer in this test; add it");
                    continue;
                }
                files++;
                Matcher m = imp.matcher(Files.readString(f));
                while (m.find()) {
                    String used = m.group(1);
                    if (!used.equals(pkg)
                            && !FOUNDATIONS.contains(used)
                            && !ALLOWED.get(pkg).contains(used)) violations.add(f + " uses io.dydet." + used);
                }
            }
        }
        assertTrue(files > 50, "only " + files + " files scanned");
        assertTrue(violations.isEmpty(), String.join("\n", violations));
    }
}
