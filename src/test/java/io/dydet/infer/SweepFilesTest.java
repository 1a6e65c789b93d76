package io.dydet.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.eval.CocoGroundTruth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep's files with and without routing diagnostics, on the made-up set of {@link RoutingDiagnosticsTest}. */
class SweepFilesTest {
    @TempDir
    Path dir;

    @Test
    void diagnosticsAddColumnsRowFieldsAndRoutingJson() throws Exception {
        CocoGroundTruth gt = RoutingDiagnosticsTest.truth();
        List<Validator.ImageResult> r = RoutingDiagnosticsTest.results(RoutingDiagnosticsTest.ranked(false), false);
        List<Sweep.Row> rows = RoutingDiagnosticsTest.rows(r, gt);
        RoutingDiagnostics.Result d = RoutingDiagnostics.compute(r, gt, rows, 5, 2);
        SweepFiles.write(dir, rows, d);

        List<String> csv = Files.readAllLines(dir.resolve("sweep.csv"));
        assertEquals(SweepFiles.CSV_HEADER + ",AP_random_mean,AP_random_sd,AP_oracle", csv.get(0));
        assertEquals(rows.size() + 1, csv.size());
        for (int i = 0; i < rows.size(); i++) {
            String[] cells = csv.get(i + 1).split(",");
            assertEquals(10, cells.length);
            assertEquals(rows.get(i).metrics().ap(), Double.parseDouble(cells[5]), 1e-6);
            assertEquals(d.randomApMean()[i], Double.parseDouble(cells[7]), 1e-6);
            assertEquals(d.randomApSd()[i], Double.parseDouble(cells[8]), 1e-6);
            assertEquals(d.oracleAp()[i], Double.parseDouble(cells[9]), 1e-6);
        }

        ObjectMapper json = new ObjectMapper();
        JsonNode sweep = json.readTree(dir.resolve("sweep.json").toFile());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(d.randomApMean()[i], sweep.get(i).get("AP_random_mean").asDouble(), 0.0);
            assertEquals(d.randomApSd()[i], sweep.get(i).get("AP_random_sd").asDouble(), 0.0);
            assertEquals(d.oracleAp()[i], sweep.get(i).get("AP_oracle").asDouble(), 0.0);
        }
        JsonNode routing = json.readTree(dir.resolve("routing.json").toFile());
        List<String> keys = new ArrayList<>();
        routing.fieldNames().forEachRemaining(keys::add);
        assertEquals(
                List.of(
                        "easy_shares",
                        "router_ap",
                        "random_ap_mean",
                        "random_ap_sd",
                        "oracle_ap",
                        "efficacy",
                        "random_draws",
                        "oracle_criterion"),
                keys);
        assertEquals(1.0, routing.get("efficacy").asDouble(), 1e-9);
        assertEquals(5, routing.get("random_draws").asInt());
        assertEquals(
                RoutingDiagnostics.AP_CONTRIBUTION,
                routing.get("oracle_criterion").asText(),
                "a small set: the set-level oracle");
        for (int i = 0; i < rows.size(); i++)
            assertEquals(d.routerAp()[i], routing.get("router_ap").get(i).asDouble(), 0.0);
        assertEquals(990, ImageIO.read(dir.resolve("tradeoff.png").toFile()).getWidth());
    }

    @Test
    void withoutDiagnosticsTheFilesAreAsBefore() throws Exception {
        CocoGroundTruth gt = RoutingDiagnosticsTest.truth();
        List<Validator.ImageResult> r = RoutingDiagnosticsTest.results(RoutingDiagnosticsTest.ranked(false), false);
        SweepFiles.write(dir, RoutingDiagnosticsTest.rows(r, gt));
        assertEquals(
                SweepFiles.CSV_HEADER,
                Files.readAllLines(dir.resolve("sweep.csv")).get(0));
        assertFalse(new ObjectMapper()
                .readTree(dir.resolve("sweep.json").toFile())
                .get(0)
                .has("AP_random_mean"));
        assertFalse(Files.exists(dir.resolve("routing.json")));
        assertTrue(Files.exists(dir.resolve("tradeoff.png")));
    }
}
