package io.dydet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorProfilerTest {
    @TempDir
    Path dir;

    @Test
    void selfTimeIsDurationLessNestedCallsPerThread() throws IOException {
        Path trace = dir.resolve("t.json");
        Files.writeString(trace, """
                [
                 {"name": "outer", "ph": "X", "ts": 0, "dur": 100, "tid": 1},
                 {"name": "inner", "ph": "X", "ts": 10, "dur": 30, "tid": 1},
                 {"name": "leaf", "ph": "X", "ts": 15, "dur": 5, "tid": 1},
                 {"name": "inner", "ph": "X", "ts": 50, "dur": 20, "tid": 1},
                 {"name": "outer", "ph": "X", "ts": 20, "dur": 40, "tid": 2},
                 {"name": "meta", "ph": "M", "ts": 0, "dur": 999, "tid": 1}
                ]
                """);
        OperatorProfile p = OperatorProfile.read(trace);
        Map<String, OperatorProfile.Row> rows =
                p.rows().stream().collect(Collectors.toMap(OperatorProfile.Row::name, r -> r));
        assertEquals(0.050 + 0.040, rows.get("outer").selfMillis(), 1e-9);
        assertEquals(2, rows.get("outer").calls());
        assertEquals(0.025 + 0.020, rows.get("inner").selfMillis(), 1e-9);
        assertEquals(0.005, rows.get("leaf").selfMillis(), 1e-9);
        assertEquals(0.090 + 0.045 + 0.005, p.totalSelfMillis(), 1e-9);
        assertEquals("outer", p.top(1).get(0).name());
    }

    @Test
    void recordsTheOperatorsRunWhileOpenAndBackwardOnes() throws IOException {
        Path trace = dir.resolve("conv.json");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            boolean grad = Engines.isGradEnabled();
            Engines.setGradEnabled(true);
            try {
                NDArray x = m.randomNormal(new Shape(1, 2, 8, 8));
                x.setRequiresGradient(true);
                try (OperatorProfiler ignored = OperatorProfiler.start(trace)) {
                    Engines.backward(x.mul(x).sum());
                }
                x.add(1).close(); // after close: not recorded
            } finally {
                Engines.setGradEnabled(grad);
            }
        }
        Map<String, OperatorProfile.Row> rows = OperatorProfile.read(trace).rows().stream()
                .collect(Collectors.toMap(OperatorProfile.Row::name, r -> r));
        assertTrue(rows.get("aten::mul").calls() >= 1, "forward multiply recorded");
        assertTrue(
                rows.keySet().stream().anyMatch(n -> n.contains("MulBackward0")),
                "backward recorded: " + rows.keySet());
        assertTrue(rows.containsKey("aten::sum"), rows.keySet().toString());
        assertTrue(!rows.containsKey("aten::add"), "nothing after close: " + rows.keySet());
    }
}
