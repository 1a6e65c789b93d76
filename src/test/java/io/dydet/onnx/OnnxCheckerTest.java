package io.dydet.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.testing.Golden;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exported graphs of the three golden models pass the ONNX project's own checker (Debian's python3-onnx 1.12,
 * which .ci/run installs), with full shape inference, and use only the default operator domain.
 */
@Tag("debian-packages")
class OnnxCheckerTest {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    static List<String> models() {
        return Golden.MODELS;
    }

    @BeforeAll
    static void engine() {
        Engines.start(2);
    }

    @ParameterizedTest
    @MethodSource("models")
    void exportedGraphsPassTheOnnxChecker(String name) throws Exception {
        List<Path> files = new ArrayList<>();
        try (Golden g = Golden.open(name);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel fused = g.model(m.newSubManager()).fuse(m.newSubManager());
            OnnxExport.Graphs graphs = OnnxExport.export(fused);
            files.add(Files.write(dir.resolve("route1_stem.onnx"), graphs.route1Stem()));
            files.add(Files.write(dir.resolve("route1_head.onnx"), graphs.route1Head()));
            files.add(Files.write(dir.resolve("route2.onnx"), graphs.route2()));
        }
        String script = String.join(
                "\n",
                "import sys, onnx",
                "for f in sys.argv[1:]:",
                "    onnx.checker.check_model(f, full_check=True)",
                "    m = onnx.load(f)",
                "    domains = {o.domain for o in m.opset_import}",
                "    ops = {n.domain for n in m.graph.node}",
                "    assert domains == {''} and ops <= {''}, (f, domains, ops)",
                "    assert [o.version for o in m.opset_import] == [17], f",
                "    print('ok', f, len(m.graph.node), 'nodes')");
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), "-c", script));
        for (Path f : files) cmd.add(f.toString());
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError(
                    "the ONNX checker needs Debian's python3-onnx: run .ci/run, or apt-get install python3-onnx", e);
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "checker timed out");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (out.contains("No module named 'onnx'"))
            throw new AssertionError(
                    "the ONNX checker needs Debian's python3-onnx: run .ci/run, or apt-get install python3-onnx");
        assertEquals(0, p.exitValue(), out);
        assertEquals(3, out.lines().filter(l -> l.startsWith("ok ")).count(), out);
    }
}
