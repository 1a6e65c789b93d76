package io.dydet.train;

import io.dydet.files.AtomicFile;
import io.dydet.runs.Plots;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A run's per-epoch table, results.csv, and its plot, results.png; both rewritten atomically after each epoch.
 * A resumed run reads the rows of the epochs it keeps.
 */
final class ResultsLog {
    private final Path dir;
    private final List<Map<String, Object>> rows = new ArrayList<>();

    ResultsLog(Path dir) {
        this.dir = dir;
    }

    /** Keeps the first {@code epochs} rows of an existing results.csv (a resumed run). */
    void reload(int epochs) throws IOException {
        Path csv = dir.resolve("results.csv");
        rows.clear();
        if (!Files.exists(csv)) return;
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty()) return;
        String[] head = lines.get(0).split(",");
        for (int i = 1; i < lines.size() && rows.size() < epochs; i++) {
            String[] f = lines.get(i).split(",");
            Map<String, Object> r = new LinkedHashMap<>();
            for (int k = 0; k < head.length && k < f.length; k++)
                r.put(head[k], k == 0 ? (Object) Integer.parseInt(f[k]) : (Object) Double.parseDouble(f[k]));
            rows.add(r);
        }
    }

    void add(EpochResult e) throws IOException {
        rows.add(e.row());
        write();
    }

    List<Map<String, Object>> rows() {
        return rows;
    }

    private void write() throws IOException {
        StringBuilder sb =
                new StringBuilder(String.join(",", rows.get(rows.size() - 1).keySet())).append('\n');
        for (Map<String, Object> r : rows) {
            List<String> cells = new ArrayList<>();
            for (Object v : r.values())
                cells.add(v instanceof Double d ? String.format(Locale.ROOT, "%.6g", d) : String.valueOf(v));
            sb.append(String.join(",", cells)).append('\n');
        }
        AtomicFile.writeString(dir.resolve("results.csv"), sb.toString());
        plot();
    }

    private void plot() throws IOException {
        double[] x = rows.stream()
                .mapToDouble(r -> ((Number) r.get("epoch")).doubleValue())
                .toArray();
        List<Plots.Panel> panels = new ArrayList<>();
        for (String key : rows.get(rows.size() - 1).keySet()) {
            if (!key.startsWith("train/")) continue;
            panels.add(new Plots.Panel(key, x, Map.of(key, column(key))));
        }
        panels.add(new Plots.Panel("precision / recall", x, ordered("P", column("P"), "R", column("R"))));
        panels.add(
                new Plots.Panel("mAP@.5", x, ordered("route 2", column("mAP50"), "route 1", column("route1/mAP50"))));
        panels.add(new Plots.Panel(
                "mAP@.5:.95", x, ordered("route 2", column("mAP50_95"), "route 1", column("route1/mAP50_95"))));
        panels.add(new Plots.Panel("learning rate", x, Map.of("lr0", column("lr0"))));
        Plots.panels(dir.resolve("results.png"), "training results (" + dir.getFileName() + ")", panels, 4);
    }

    private static Map<String, double[]> ordered(String a, double[] va, String b, double[] vb) {
        Map<String, double[]> m = new LinkedHashMap<>();
        m.put(a, va);
        m.put(b, vb);
        return m;
    }

    private double[] column(String key) {
        return rows.stream()
                .mapToDouble(r -> r.get(key) instanceof Number n ? n.doubleValue() : Double.NaN)
                .toArray();
    }
}
