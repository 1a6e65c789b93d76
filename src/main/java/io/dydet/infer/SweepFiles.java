package io.dydet.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.files.AtomicFile;
import io.dydet.json.Json;
import io.dydet.runs.Plots;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A sweep's files in a run folder: sweep.csv and sweep.json (one row per threshold), sweep.png (AP against GFLOPs,
 * the paper's figure) and tradeoff.png (AP, model ms and GFLOPs per image against the route-2 share). With
 * {@link RoutingDiagnostics routing diagnostics}, each row also has the random router's AP (mean, sd) and the
 * oracle's at the same easy share, tradeoff.png draws them (the random band is mean +- sd) and routing.json holds
 * {@link RoutingDiagnostics.Result#toJson()}.
 */
public final class SweepFiles {
    public static final String CSV_HEADER = "threshold,easy_share,hard_share,gflops,ms_per_image,AP,AP50";
    /** The header with routing diagnostics: their columns after the others. */
    public static final String CSV_HEADER_WITH_DIAGNOSTICS = CSV_HEADER + ",AP_random_mean,AP_random_sd,AP_oracle";

    private SweepFiles() {}

    public static void write(Path run, List<Sweep.Row> rows) throws IOException {
        write(run, rows, null);
    }

    /** @param diagnostics computed from these rows (same order), or null for the files without them */
    public static void write(Path run, List<Sweep.Row> rows, RoutingDiagnostics.Result diagnostics) throws IOException {
        int n = rows.size();
        if (diagnostics != null && diagnostics.easyShares().length != n) {
            throw new IllegalArgumentException(
                    "routing diagnostics have " + diagnostics.easyShares().length + " rows, the sweep " + n);
        }
        StringBuilder csv =
                new StringBuilder(diagnostics == null ? CSV_HEADER : CSV_HEADER_WITH_DIAGNOSTICS).append('\n');
        double[] gflops = new double[n], ap = new double[n], hard = new double[n], ms = new double[n];
        String[] labels = new String[n];
        List<Map<String, Object>> json = new ArrayList<>();
        ObjectMapper mapper = Json.PRETTY;
        for (int i = 0; i < n; i++) {
            Sweep.Row r = rows.get(i);
            csv.append(String.format(
                    Locale.ROOT,
                    "%.6f,%.4f,%.4f,%.4f,%.3f,%.6f,%.6f",
                    r.threshold(),
                    r.easyShare(),
                    1 - r.easyShare(),
                    r.gflops(),
                    r.msPerImage(),
                    r.metrics().ap(),
                    r.metrics().ap50()));
            Map<String, Object> row = r.toJson();
            if (diagnostics != null) {
                csv.append(String.format(
                        Locale.ROOT,
                        ",%.6f,%.6f,%.6f",
                        diagnostics.randomApMean()[i],
                        diagnostics.randomApSd()[i],
                        diagnostics.oracleAp()[i]));
                row.put("AP_random_mean", diagnostics.randomApMean()[i]);
                row.put("AP_random_sd", diagnostics.randomApSd()[i]);
                row.put("AP_oracle", diagnostics.oracleAp()[i]);
            }
            csv.append('\n');
            json.add(row);
            gflops[i] = r.gflops();
            ap[i] = r.metrics().ap();
            hard[i] = 100 * (1 - r.easyShare());
            ms[i] = r.msPerImage();
            labels[i] = String.format(Locale.ROOT, "%.0f/%.0f", 100 * r.easyShare(), 100 * (1 - r.easyShare()));
        }
        AtomicFile.writeString(run.resolve("sweep.csv"), csv.toString());
        AtomicFile.write(run.resolve("sweep.json"), out -> mapper.writeValue(out, json));
        if (diagnostics != null)
            AtomicFile.write(run.resolve("routing.json"), out -> mapper.writeValue(out, diagnostics.toJson()));
        Plots.line(
                run.resolve("sweep.png"),
                "AP against GFLOPs per easy/hard split",
                "GFLOPs per image",
                "AP@[.5:.95]",
                gflops,
                ap,
                labels);
        Plots.panels(
                run.resolve("tradeoff.png"),
                "One model, many trade-offs: the router threshold moves images to route 2",
                List.of(
                        apPanel(hard, ap, diagnostics),
                        new Plots.Panel("model ms/image vs route-2 share (%)", hard, series("ms", ms)),
                        new Plots.Panel("GFLOPs/image vs route-2 share (%)", hard, series("GFLOPs", gflops))),
                3);
    }

    /** AP against route-2 share: the router alone, or the router, the random band (mean +- sd) and the oracle. */
    private static Plots.Panel apPanel(double[] hard, double[] ap, RoutingDiagnostics.Result d) {
        String title = "AP@[.5:.95] vs route-2 share (%)";
        if (d == null) return new Plots.Panel(title, hard, series("AP", ap));
        String random = "random (mean +- sd, " + d.draws() + " draws)";
        Map<String, double[]> s = new LinkedHashMap<>();
        s.put("router", ap);
        s.put(random, d.randomApMean());
        s.put("oracle (" + d.oracleCriterion() + ")", d.oracleAp());
        double[] low = new double[ap.length], high = new double[ap.length];
        for (int i = 0; i < ap.length; i++) {
            low[i] = d.randomApMean()[i] - d.randomApSd()[i];
            high[i] = d.randomApMean()[i] + d.randomApSd()[i];
        }
        return new Plots.Panel(title, hard, s, Map.of(random, new Plots.Band(low, high)));
    }

    private static Map<String, double[]> series(String name, double[] v) {
        Map<String, double[]> m = new LinkedHashMap<>();
        m.put(name, v);
        return m;
    }
}
