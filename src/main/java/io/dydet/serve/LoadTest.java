package io.dydet.serve;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closed-loop load on a running service: each client posts an image, waits for the answer and posts the next,
 * cycling through the given images. Measures requests per second and latency percentiles over a fixed time, after
 * a warm-up, and the mean batch size from the service's own metrics.
 */
public final class LoadTest {
    /**
     * One load level. serve-benchmark writes it with Jackson: the groups are unwrapped so that the file keeps one flat
     * object per level ({@code ServeBenchmarkJsonTest}).
     */
    public record Result(
            @JsonUnwrapped Load load, @JsonUnwrapped Latency latency, double meanBatch) {
        /** How much was asked and answered. */
        public record Load(int clients, int requests, int errors, double seconds, double requestsPerSecond) {}

        /** Latency percentiles of the answered requests, in milliseconds. */
        public record Latency(double p50Ms, double p90Ms, double p99Ms) {}

        public int clients() {
            return load.clients();
        }

        public int requests() {
            return load.requests();
        }

        public int errors() {
            return load.errors();
        }

        public double seconds() {
            return load.seconds();
        }

        public double requestsPerSecond() {
            return load.requestsPerSecond();
        }

        public double p50Ms() {
            return latency.p50Ms();
        }

        public double p90Ms() {
            return latency.p90Ms();
        }

        public double p99Ms() {
            return latency.p99Ms();
        }
    }

    /** An encoded image and its Content-Type. */
    public record Body(byte[] bytes, String contentType) {}

    private LoadTest() {}

    public static Result run(URI service, List<Body> bodies, int clients, Duration warmup, Duration measure)
            throws IOException, InterruptedException {
        if (bodies.isEmpty()) throw new IllegalArgumentException("no images to send");
        if (clients < 1) throw new IllegalArgumentException("clients must be >= 1, got " + clients);
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        AtomicInteger next = new AtomicInteger();
        try {
            drive(http, service, bodies, clients, warmup, pool, next);
            String before = scrape(http, service);
            long t0 = System.nanoTime();
            List<long[]> perClient = drive(http, service, bodies, clients, measure, pool, next);
            double seconds = (System.nanoTime() - t0) / 1e9;
            String after = scrape(http, service);
            // rate and latency of answered requests only: fast refusals would flatter both
            int errors = 0, n = 0;
            List<Long> ok = new ArrayList<>();
            for (long[] c : perClient) {
                for (long v : c) {
                    n++;
                    if (v < 0) errors++;
                    else ok.add(v);
                }
            }
            long[] all = ok.stream().mapToLong(Long::longValue).sorted().toArray();
            double images = metric(after, "dydet_batch_size_sum") - metric(before, "dydet_batch_size_sum");
            double batches = metric(after, "dydet_batch_size_count") - metric(before, "dydet_batch_size_count");
            return new Result(
                    new Result.Load(clients, n, errors, seconds, all.length / seconds),
                    new Result.Latency(percentile(all, 0.5), percentile(all, 0.9), percentile(all, 0.99)),
                    batches == 0 ? 0 : images / batches);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Latencies in ns per client; negative for requests that did not answer 200. */
    private static List<long[]> drive(
            HttpClient http,
            URI service,
            List<Body> bodies,
            int clients,
            Duration time,
            ExecutorService pool,
            AtomicInteger next)
            throws InterruptedException {
        long end = System.nanoTime() + time.toNanos();
        URI detect = service.resolve("v1/detect");
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            futures.add(pool.submit(() -> {
                List<Long> lat = new ArrayList<>();
                while (System.nanoTime() < end) {
                    Body b = bodies.get(Math.floorMod(next.getAndIncrement(), bodies.size()));
                    HttpRequest req = HttpRequest.newBuilder(detect)
                            .timeout(Duration.ofMinutes(2))
                            .header("Content-Type", b.contentType())
                            .POST(HttpRequest.BodyPublishers.ofByteArray(b.bytes()))
                            .build();
                    long t = System.nanoTime();
                    int status;
                    try {
                        status = http.send(req, HttpResponse.BodyHandlers.discarding())
                                .statusCode();
                    } catch (IOException e) {
                        status = -1;
                    }
                    long ns = System.nanoTime() - t;
                    lat.add(status == 200 ? ns : -ns);
                }
                return lat.stream().mapToLong(Long::longValue).toArray();
            }));
        }
        List<long[]> out = new ArrayList<>();
        for (Future<long[]> f : futures) {
            try {
                out.add(f.get());
            } catch (ExecutionException e) {
                throw new IllegalStateException("a load client failed", e.getCause());
            }
        }
        return out;
    }

    private static String scrape(HttpClient http, URI service) throws IOException, InterruptedException {
        return http.send(
                        HttpRequest.newBuilder(service.resolve("metrics")).GET().build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static double metric(String exposition, String series) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith(series + " "))
                return Double.parseDouble(line.substring(series.length() + 1).trim());
        }
        return 0;
    }

    private static double percentile(long[] sortedNs, double q) {
        if (sortedNs.length == 0) return Double.NaN;
        int i = (int) Math.min(sortedNs.length - 1, Math.ceil(q * sortedNs.length) - 1);
        return sortedNs[Math.max(0, i)] / 1e6;
    }
}
