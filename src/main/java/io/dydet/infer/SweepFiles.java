package io.dydet.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dydet.runs.AtomicFiles;
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
 * the paper's figure) and tradeoff.png (AP, model ms and GFLOPs per image against the route-2 share).
 */
public final class SweepFiles {
    public static final String CSV_HEADER = "threshold,easy_share,hard_share,gflops,ms_per_image,AP,AP50";

    private SweepFiles() {}

    public static void write(Path run, List<Sweep.Row> rows) throws IOException {
        StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
        int n = rows.size();
        double[] gflops = new double[n], ap = new double[n], hard = new double[n], ms = new double[n];
        String[] labels = new String[n];
        List<Map<String, Object>> json = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Sweep.Row r = rows.get(i);
            csv.append(String.format(Locale.ROOT, "%.6f,%.4f,%.4f,%.4f,%.3f,%.6f,%.6f%n", r.threshold(), r.easyShare(), 1 - r.easyShare(),
                    r.gflops(), r.msPerImage(), r.metrics().ap(), r.metrics().ap50()));
            gflops[i] = r.gflops();
            ap[i] = r.metrics().ap();
            hard[i] = 100 * (1 - r.easyShare());
            ms[i] = r.msPerImage();
            labels[i] = String.format(Locale.ROOT, "%.0f/%.0f", 100 * r.easyShare(), 100 * (1 - r.easyShare()));
            json.add(r.toJson());
        }
        AtomicFiles.writeString(run.resolve("sweep.csv"), csv.toString());
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.write(run.resolve("sweep.json"), out -> mapper.writeValue(out, json));
        Plots.line(run.resolve("sweep.png"), "AP against GFLOPs per easy/hard split", "GFLOPs per image", "AP@[.5:.95]", gflops, ap, labels);
        Plots.panels(run.resolve("tradeoff.png"), "One model, many trade-offs: the router threshold moves images to route 2", List.of(
                new Plots.Panel("AP@[.5:.95] vs route-2 share (%)", hard, series("AP", ap)),
                new Plots.Panel("model ms/image vs route-2 share (%)", hard, series("ms", ms)),
                new Plots.Panel("GFLOPs/image vs route-2 share (%)", hard, series("GFLOPs", gflops))), 3);
    }

    private static Map<String, double[]> series(String name, double[] v) {
        Map<String, double[]> m = new LinkedHashMap<>();
        m.put(name, v);
        return m;
    }
}
