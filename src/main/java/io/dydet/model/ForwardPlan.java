package io.dydet.model;

import io.dydet.nn.Mode;
import java.util.Objects;

/**
 * What one forward pass of {@link DynamicDetModel#run} does: which images take which route, in which mode each part
 * runs, which layer outputs it keeps and whether the heads' outputs are decoded. Made through the factories and the
 * {@code with...} methods; the model's old forward methods are conveniences over these plans.
 *
 * @param routing     which routes run for which images (see {@link Routing})
 * @param route       the route of every image for {@link Routing#FIXED}, else null
 * @param thresholds  per-image router thresholds for {@link Routing#PER_IMAGE}, else null
 * @param backbone1   the mode of the first backbone (eval while training route 2 alone keeps its BatchNorm frozen)
 * @param rest        the mode of the composite connections, second backbone and heads
 * @param router      whether the router runs: {@link RouterUse#IF_PRESENT}, {@link RouterUse#REQUIRED} or {@link RouterUse#SKIP}
 * @param outputs     what the pass keeps and returns
 * @param compute     the number format of activations and convolutions in this pass: {@link Precision#BFLOAT16} on a
 *                    float32 model is mixed precision (design.md, bfloat16 training), float32 weights cast per
 *                    convolution; a deploy form made in bfloat16 computes in bfloat16 whatever this says
 */
public record ForwardPlan(
        Routing routing,
        Route route,
        float[] thresholds,
        Mode backbone1,
        Mode rest,
        RouterUse router,
        Outputs outputs,
        Precision compute) {

    /**
     * What a pass keeps and returns.
     *
     * @param keepAll whether every layer output stays in the returned {@link Trace} (for inspection); otherwise an
     *                eval pass frees outputs after their last reader when {@code lean} is on
     * @param decode  whether heads' outputs are decoded into predictions (eval passes) or left as raw logits
     * @param lean    free dead layer outputs early in eval passes; defaults to {@link #defaultLean()}
     */
    public record Outputs(boolean keepAll, boolean decode, boolean lean) {}

    /** Which routes a pass runs. */
    public enum Routing {
        /** The first backbone and the router only: easiness scores. */
        ROUTER_ONLY,
        /** Every image through one route. */
        FIXED,
        /** Image i takes route 1 iff its score >= thresholds[i] (design.md, Routing). */
        PER_IMAGE,
        /** Every image through both routes, both heads' raw outputs returned (training steps 1 and 2). */
        BOTH
    }

    /** Whether the router runs in a pass. */
    public enum RouterUse {
        IF_PRESENT,
        REQUIRED,
        SKIP
    }

    public ForwardPlan {
        Objects.requireNonNull(routing, "routing");
        Objects.requireNonNull(backbone1, "backbone1");
        Objects.requireNonNull(rest, "rest");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(outputs, "outputs");
        Objects.requireNonNull(compute, "compute");
        if ((routing == Routing.FIXED) != (route != null))
            throw new IllegalArgumentException("a fixed route plan needs exactly one route");
        if ((routing == Routing.PER_IMAGE) != (thresholds != null))
            throw new IllegalArgumentException("per-image routing needs thresholds");
        thresholds = thresholds == null ? null : thresholds.clone();
    }

    @Override
    public float[] thresholds() {
        return thresholds == null ? null : thresholds.clone();
    }

    /**
     * Whether eval passes free layer outputs after their last reader (less memory traffic); on unless the system
     * property {@code dydet.lean} is {@code false}, kept for old scripts (design.md, Model options).
     */
    public static boolean defaultLean() {
        return !"false".equals(System.getProperty("dydet.lean"));
    }

    public boolean keepOutputs() {
        return outputs.keepAll();
    }

    public boolean decode() {
        return outputs.decode();
    }

    public boolean lean() {
        return outputs.lean();
    }

    /** Eval: the first backbone and the router, for the easiness scores. */
    public static ForwardPlan routerOnly() {
        return new ForwardPlan(
                Routing.ROUTER_ONLY,
                null,
                null,
                Mode.EVAL,
                Mode.EVAL,
                RouterUse.REQUIRED,
                new Outputs(false, false, defaultLean()),
                Precision.FLOAT32);
    }

    /** Eval: every image through one route, decoded; the router runs too when the model has one. */
    public static ForwardPlan fixed(Route route) {
        return new ForwardPlan(
                Routing.FIXED,
                Objects.requireNonNull(route, "route"),
                null,
                Mode.EVAL,
                Mode.EVAL,
                RouterUse.IF_PRESENT,
                new Outputs(false, true, defaultLean()),
                Precision.FLOAT32);
    }

    /** Eval: each image routed by its own threshold, decoded, in batch order. */
    public static ForwardPlan perImage(float[] thresholds) {
        return new ForwardPlan(
                Routing.PER_IMAGE,
                null,
                thresholds,
                Mode.EVAL,
                Mode.EVAL,
                RouterUse.IF_PRESENT,
                new Outputs(false, true, defaultLean()),
                Precision.FLOAT32);
    }

    /** Both routes over the whole batch in one mode, raw logits of both heads (step 1 in TRAIN, step 2 in EVAL). */
    public static ForwardPlan bothRoutes(Mode mode) {
        return new ForwardPlan(
                Routing.BOTH,
                null,
                null,
                mode,
                mode,
                RouterUse.IF_PRESENT,
                new Outputs(false, false, defaultLean()),
                Precision.FLOAT32);
    }

    public ForwardPlan withBackbone1(Mode mode) {
        return new ForwardPlan(routing, route, thresholds, mode, rest, router, outputs, compute);
    }

    public ForwardPlan withRest(Mode mode) {
        return new ForwardPlan(routing, route, thresholds, backbone1, mode, router, outputs, compute);
    }

    public ForwardPlan withRouter(RouterUse use) {
        return new ForwardPlan(routing, route, thresholds, backbone1, rest, use, outputs, compute);
    }

    public ForwardPlan withKeepOutputs(boolean keep) {
        return new ForwardPlan(
                routing,
                route,
                thresholds,
                backbone1,
                rest,
                router,
                new Outputs(keep, outputs.decode(), outputs.lean()),
                compute);
    }

    public ForwardPlan withDecode(boolean d) {
        return new ForwardPlan(
                routing,
                route,
                thresholds,
                backbone1,
                rest,
                router,
                new Outputs(outputs.keepAll(), d, outputs.lean()),
                compute);
    }

    public ForwardPlan withLean(boolean l) {
        return new ForwardPlan(
                routing,
                route,
                thresholds,
                backbone1,
                rest,
                router,
                new Outputs(outputs.keepAll(), outputs.decode(), l),
                compute);
    }

    /** The same plan computing in {@code precision} (see the {@code compute} component). */
    public ForwardPlan withCompute(Precision precision) {
        return new ForwardPlan(routing, route, thresholds, backbone1, rest, router, outputs, precision);
    }

    /**
     * Whether dead outputs are freed after their last reader: in every pass that does not keep them. Training passes
     * too: autograd holds what the backward needs, so closing the handles only lets it free that as it goes.
     */
    boolean frees() {
        return lean() && !keepOutputs();
    }
}
