package io.dydet.serve;

/**
 * How the detection service listens, batches and refuses work.
 *
 * Settings, built by name ({@link #builder()} starts from the defaults):
 * <ul>
 * <li>host address to bind (127.0.0.1: this machine only; 0.0.0.0: every interface)
 * <li>port TCP port; 0 picks a free one ({@link DetectionServer#port()} tells which)
 * <li>maxBatch images per forward pass; 1 turns micro-batching off
 * <li>maxWaitMs how long the first image of a batch waits for others to join it
 * <li>workers batches run at once (each on the engine's intra-op threads)
 * <li>queueDepth images waiting for a batch; beyond it requests get 503 with Retry-After
 * <li>requestTimeoutMs a request whose images are not done in this time gets 504
 * <li>maxBodyBytes largest request body (413 beyond)
 * <li>maxImagesPerRequest most images in one multipart request (413 beyond)
 * <li>pixelLimit largest image in pixels, checked from the header before decoding (422 beyond)
 * <li>shutdownTimeoutMs how long a shutdown waits for requests in flight
 * <li>warmupPasses forward passes per route before the service reports ready
 * </ul>
 */
public final class ServeSettings {
    private final String host;
    private final int port;
    private final int maxBatch;
    private final int maxWaitMs;
    private final int workers;
    private final int queueDepth;
    private final long requestTimeoutMs;
    private final long maxBodyBytes;
    private final int maxImagesPerRequest;
    private final long pixelLimit;
    private final long shutdownTimeoutMs;
    private final int warmupPasses;

    private ServeSettings(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.maxBatch = b.maxBatch;
        this.maxWaitMs = b.maxWaitMs;
        this.workers = b.workers;
        this.queueDepth = b.queueDepth;
        this.requestTimeoutMs = b.requestTimeoutMs;
        this.maxBodyBytes = b.maxBodyBytes;
        this.maxImagesPerRequest = b.maxImagesPerRequest;
        this.pixelLimit = b.pixelLimit;
        this.shutdownTimeoutMs = b.shutdownTimeoutMs;
        this.warmupPasses = b.warmupPasses;
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
            throw new IllegalArgumentException("queue depth " + queueDepth + " is below the max images per request "
                    + maxImagesPerRequest + ": such a request could never be queued");
        positive("pixel limit", pixelLimit);
        if (shutdownTimeoutMs < 0)
            throw new IllegalArgumentException("shutdown timeout must be >= 0 ms, got " + shutdownTimeoutMs);
        if (warmupPasses < 0) throw new IllegalArgumentException("warm-up passes must be >= 0, got " + warmupPasses);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values, for a copy that differs in a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.maxBatch = maxBatch;
        b.maxWaitMs = maxWaitMs;
        b.workers = workers;
        b.queueDepth = queueDepth;
        b.requestTimeoutMs = requestTimeoutMs;
        b.maxBodyBytes = maxBodyBytes;
        b.maxImagesPerRequest = maxImagesPerRequest;
        b.pixelLimit = pixelLimit;
        b.shutdownTimeoutMs = shutdownTimeoutMs;
        b.warmupPasses = warmupPasses;
        return b;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public int maxBatch() {
        return maxBatch;
    }

    public int maxWaitMs() {
        return maxWaitMs;
    }

    public int workers() {
        return workers;
    }

    public int queueDepth() {
        return queueDepth;
    }

    public long requestTimeoutMs() {
        return requestTimeoutMs;
    }

    public long maxBodyBytes() {
        return maxBodyBytes;
    }

    public int maxImagesPerRequest() {
        return maxImagesPerRequest;
    }

    public long pixelLimit() {
        return pixelLimit;
    }

    public long shutdownTimeoutMs() {
        return shutdownTimeoutMs;
    }

    public int warmupPasses() {
        return warmupPasses;
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
        return builder().build();
    }

    public ServeSettings withAddress(String host, int port) {
        return toBuilder().host(host).port(port).build();
    }

    public ServeSettings withBatching(int maxBatch, int maxWaitMs, int workers) {
        return toBuilder()
                .maxBatch(maxBatch)
                .maxWaitMs(maxWaitMs)
                .workers(workers)
                .build();
    }

    public ServeSettings withLimits(
            int queueDepth, long requestTimeoutMs, long maxBodyBytes, int maxImagesPerRequest, long pixelLimit) {
        return toBuilder()
                .queueDepth(queueDepth)
                .requestTimeoutMs(requestTimeoutMs)
                .maxBodyBytes(maxBodyBytes)
                .maxImagesPerRequest(maxImagesPerRequest)
                .pixelLimit(pixelLimit)
                .build();
    }

    public ServeSettings withShutdown(long shutdownTimeoutMs, int warmupPasses) {
        return toBuilder()
                .shutdownTimeoutMs(shutdownTimeoutMs)
                .warmupPasses(warmupPasses)
                .build();
    }

    private static void positive(String what, long v) {
        if (v < 1) throw new IllegalArgumentException(what + " must be >= 1, got " + v);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ServeSettings x)) return false;
        return java.util.Objects.equals(host, x.host)
                && port == x.port
                && maxBatch == x.maxBatch
                && maxWaitMs == x.maxWaitMs
                && workers == x.workers
                && queueDepth == x.queueDepth
                && requestTimeoutMs == x.requestTimeoutMs
                && maxBodyBytes == x.maxBodyBytes
                && maxImagesPerRequest == x.maxImagesPerRequest
                && pixelLimit == x.pixelLimit
                && shutdownTimeoutMs == x.shutdownTimeoutMs
                && warmupPasses == x.warmupPasses;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                host,
                port,
                maxBatch,
                maxWaitMs,
                workers,
                queueDepth,
                requestTimeoutMs,
                maxBodyBytes,
                maxImagesPerRequest,
                pixelLimit,
                shutdownTimeoutMs,
                warmupPasses);
    }

    /** As a record's: {@code ServeSettings[a=1, b=2]}. */
    @Override
    public String toString() {
        return "ServeSettings[host=" + host + ", port=" + port + ", maxBatch=" + maxBatch + ", maxWaitMs=" + maxWaitMs
                + ", workers=" + workers + ", queueDepth=" + queueDepth + ", requestTimeoutMs=" + requestTimeoutMs
                + ", maxBodyBytes=" + maxBodyBytes + ", maxImagesPerRequest=" + maxImagesPerRequest + ", pixelLimit="
                + pixelLimit + ", shutdownTimeoutMs=" + shutdownTimeoutMs + ", warmupPasses=" + warmupPasses + "]";
    }

    /** Named settings, starting from {@link #defaults()}. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private int maxBatch = 8;
        private int maxWaitMs = 5;
        private int workers = 1;
        private int queueDepth = 64;
        private long requestTimeoutMs = 30_000;
        private long maxBodyBytes = 32L << 20;
        private int maxImagesPerRequest = 32;
        private long pixelLimit = 40_000_000L;
        private long shutdownTimeoutMs = 30_000;
        private int warmupPasses = 2;

        Builder() {}

        public Builder host(String v) {
            host = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder maxBatch(int v) {
            maxBatch = v;
            return this;
        }

        public Builder maxWaitMs(int v) {
            maxWaitMs = v;
            return this;
        }

        public Builder workers(int v) {
            workers = v;
            return this;
        }

        public Builder queueDepth(int v) {
            queueDepth = v;
            return this;
        }

        public Builder requestTimeoutMs(long v) {
            requestTimeoutMs = v;
            return this;
        }

        public Builder maxBodyBytes(long v) {
            maxBodyBytes = v;
            return this;
        }

        public Builder maxImagesPerRequest(int v) {
            maxImagesPerRequest = v;
            return this;
        }

        public Builder pixelLimit(long v) {
            pixelLimit = v;
            return this;
        }

        public Builder shutdownTimeoutMs(long v) {
            shutdownTimeoutMs = v;
            return this;
        }

        public Builder warmupPasses(int v) {
            warmupPasses = v;
            return this;
        }

        public ServeSettings build() {
            return new ServeSettings(this);
        }
    }
}
