package io.dydet.infer;

/** Milliseconds one image spent in pre-processing (decode, letterbox), the model and NMS; batch costs are shared equally. */
public record Timings(double preMs, double modelMs, double nmsMs) {
    public double totalMs() {
        return preMs + modelMs + nmsMs;
    }
}
