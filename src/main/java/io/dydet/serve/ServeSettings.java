package io.dydet.serve;

/**
 * How the detection service listens, batches and refuses work.
 *
 * @param host address to bind (127.0.0.1: this machine only; 0.0.0.0: every interface)
 * @param port TCP port; 0 picks a free one ({@link DetectionServer#port()} tells which)
 * @param maxBatch images per forward pass; 1 turns micro-batching off
 * @param maxWaitMs how long the first image of a batch waits for others to join it
 * @param workers batches run at once (each on the engine's intra-op threads)
 * @param queueDepth images waiting for a batch; beyond it requests get 503 with Retry-After
 * @param requestTimeoutMs a request whose images are not done in this time gets 504
 * @param maxBodyBytes largest request body (413 beyond)
 * @param maxImagesPerRequest most images in one multipart request (413 beyond)
 * @param pixelLimit largest image in pixels, checked from the header before decoding (422 beyond)
 * @param shutdownTimeoutMs how long a shutdown waits for requests in flight
 * @param warmupPasses forward passes per route before the service reports ready
 */
public record ServeSettings(String host, int port, int maxBatch, int maxWaitMs, int workers, int queueDepth, long requestTimeoutMs,
                            long maxBodyBytes, int maxImagesPerRequest, long pixelLimit, long shutdownTimeoutMs, int warmupPasses) {
    public ServeSettings {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("host must be given");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        positive("max batch", maxBatch);
        if (maxWaitMs < 0) throw new IllegalArgumentException("max wait must be >= 0 ms, got " + maxWaitMs);
        positive("workers", workers);
        positive("queue depth", queueDepth);
        positive("request timeout (ms)", requestTimeoutMs);
        positive("max body size (bytes)", maxBodyBytes);
        positive("max images per request", maxImagesPerRequest);
        if (queueDepth < maxImagesPerRequest)
            throw new IllegalArgumentException("queue depth " + queueDepth + " is below the max images per request " + maxImagesPerRequest
                    + ": such a request could never be queued");
        positive("pixel limit", pixelLimit);
        if (shutdownTimeoutMs < 0) throw new IllegalArgumentException("shutdown timeout must be >= 0 ms, got " + shutdownTimeoutMs);
        if (warmupPasses < 0) throw new IllegalArgumentException("warm-up passes must be >= 0, got " + warmupPasses);
    }

    /**
     * Decoded pixels all requests in progress may hold at once (8 images at the pixel limit, e.g. 320 M pixels, about
     * 1 GB of decoded BGR at the default limit); also the most one request may bring.
     */
    public long decodedPixelBudget() {
        return 8 * pixelLimit;
    }

    /** 127.0.0.1:8080, batches of up to 8 within 5 ms, one worker, 64 queued images, 30 s per request, 32 MiB bodies. */
    public static ServeSettings defaults() {
        return new ServeSettings("127.0.0.1", 8080, 8, 5, 1, 64, 30_000, 32L << 20, 32, 40_000_000L, 30_000, 2);
    }

    public ServeSettings withAddress(String host, int port) {
        return new ServeSettings(host, port, maxBatch, maxWaitMs, workers, queueDepth, requestTimeoutMs, maxBodyBytes, maxImagesPerRequest,
                pixelLimit, shutdownTimeoutMs, warmupPasses);
    }

    public ServeSettings withBatching(int maxBatch, int maxWaitMs, int workers) {
        return new ServeSettings(host, port, maxBatch, maxWaitMs, workers, queueDepth, requestTimeoutMs, maxBodyBytes, maxImagesPerRequest,
                pixelLimit, shutdownTimeoutMs, warmupPasses);
    }

    public ServeSettings withLimits(int queueDepth, long requestTimeoutMs, long maxBodyBytes, int maxImagesPerRequest, long pixelLimit) {
        return new ServeSettings(host, port, maxBatch, maxWaitMs, workers, queueDepth, requestTimeoutMs, maxBodyBytes, maxImagesPerRequest,
                pixelLimit, shutdownTimeoutMs, warmupPasses);
    }

    public ServeSettings withShutdown(long shutdownTimeoutMs, int warmupPasses) {
        return new ServeSettings(host, port, maxBatch, maxWaitMs, workers, queueDepth, requestTimeoutMs, maxBodyBytes, maxImagesPerRequest,
                pixelLimit, shutdownTimeoutMs, warmupPasses);
    }

    private static void positive(String what, long v) {
        if (v < 1) throw new IllegalArgumentException(what + " must be >= 1, got " + v);
    }
}
