package io.dydet.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.dydet.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Time per operator from a trace {@link OperatorProfiler} wrote: self time (an operator's duration less the operators it
 * called) summed by name, as torch.autograd.profiler's table does, so the two can be read side by side.
 */
public record OperatorProfile(List<Row> rows, double totalSelfMillis) {
    /** One operator: summed self milliseconds and the number of calls. */
    public record Row(String name, double selfMillis, int calls) {}

    private record Span(double start, double duration, String name) {
        double end() {
            return start + duration;
        }
    }

    /** Reads a Chrome trace of complete ("X") events with microsecond start and duration per thread. */
    public static OperatorProfile read(Path trace) throws IOException {
        JsonNode root = Json.MAPPER.readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        Map<String, List<Span>> byThread = new HashMap<>();
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText())) continue;
            byThread.computeIfAbsent(e.path("tid").asText(), k -> new ArrayList<>())
                    .add(new Span(
                            e.path("ts").asDouble(),
                            e.path("dur").asDouble(),
                            e.path("name").asText()));
        }
        Map<String, double[]> totals = new LinkedHashMap<>(); // name -> {self microseconds, calls}
        for (List<Span> spans : byThread.values()) {
            // a caller starts before its callees, or with them and lasts longer
            spans.sort(
                    Comparator.comparingDouble(Span::start).thenComparing(Span::duration, Comparator.reverseOrder()));
            Deque<Span> callers = new ArrayDeque<>();
            for (Span s : spans) {
                while (!callers.isEmpty() && callers.peek().end() <= s.start()) callers.pop();
                if (!callers.isEmpty()) totals.get(callers.peek().name())[0] -= s.duration();
                double[] acc = totals.computeIfAbsent(s.name(), k -> new double[2]);
                acc[0] += s.duration();
                acc[1]++;
                callers.push(s);
            }
        }
        List<Row> rows = new ArrayList<>();
        double total = 0;
        for (var e : totals.entrySet()) {
            rows.add(new Row(e.getKey(), e.getValue()[0] / 1000, (int) e.getValue()[1]));
            total += e.getValue()[0] / 1000;
        }
        rows.sort(Comparator.comparingDouble(Row::selfMillis).reversed());
        return new OperatorProfile(List.copyOf(rows), total);
    }

    /** The operators taking the most self time, at most {@code n}. */
    public List<Row> top(int n) {
        return rows.subList(0, Math.min(n, rows.size()));
    }
}
