package io.dydet.serve;

import io.dydet.infer.Detector;
import io.dydet.weights.WeightsException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The service under load with and without micro-batching: for each mode a fresh server on a free loopback port,
 * then each client count in turn ({@link LoadTest}).
 */
public final class ServeBenchmark {
    /** One measured level: the batching mode ({@code maxBatch} 1 = off) and its load result. */
    public record Row(int maxBatch, int maxWaitMs, LoadTest.Result result) {
        public boolean batching() {
            return maxBatch > 1;
        }
    }

    private ServeBenchmark() {}

    /**
     * @param detectors builds a detector whose batch size is at least {@code maxBatch}
     * @param onRow called as each level finishes
     */
    public static List<Row> run(
            DetectorFactory detectors,
            List<LoadTest.Body> bodies,
            List<Integer> clients,
            Duration warmup,
            Duration measure,
            int maxBatch,
            int maxWaitMs,
            Consumer<Row> onRow)
            throws IOException, InterruptedException {
        List<Row> rows = new ArrayList<>();
        for (int batch : maxBatch > 1 ? List.of(maxBatch, 1) : List.of(1)) {
            int wait = batch > 1 ? maxWaitMs : 0;
            ServeSettings settings = ServeSettings.defaults()
                    .withAddress("127.0.0.1", 0)
                    .withBatching(batch, wait, 1)
                    .withLimits(256, 600_000, 64L << 20, 32, 100_000_000L);
            try (Detector detector = detectors.build();
                    DetectionServer server = DetectionServer.start(detector, settings)) {
                for (int i = 0; i < 6000 && !server.ready(); i++) Thread.sleep(50);
                if (!server.ready()) throw new IllegalStateException("the service did not get ready within 5 minutes");
                for (int c : clients) {
                    Row row = new Row(batch, wait, LoadTest.run(server.uri(), bodies, c, warmup, measure));
                    rows.add(row);
                    onRow.accept(row);
                }
            }
        }
        return rows;
    }

    /** Builds a detector for one mode of {@link #run}. */
    public interface DetectorFactory {
        Detector build() throws WeightsException;
    }
}
