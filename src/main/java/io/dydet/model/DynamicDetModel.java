package io.dydet.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.dydet.engine.NativeOps;
import io.dydet.nn.IDetect;
import io.dydet.nn.Mode;
import io.dydet.nn.Ops;
import io.dydet.nn.ParamSpec;
import io.dydet.nn.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ObjLongConsumer;

/**
 * A DynamicDet network with its tensors: two cascaded backbones, two heads and (if dynamic) the adaptive router.
 * Tensors are keyed by the original state-dict names and live in this model's manager; every forward result
 * belongs to the manager of the input, so callers scope one pass with one manager.
 *
 * <p>Thread safety: eval forwards only read the tensors and may run concurrently (each thread must switch grad
 * mode off, see {@code Engines.setGradEnabled}); training-mode forwards update BatchNorm statistics in place.
 */
public final class DynamicDetModel implements RoutedModel {
    private final Network network;
    private final NDManager manager;
    private final Map<String, NDArray> state;
    private final Map<Node, Weights> nodeWeights = new IdentityHashMap<>();
    private final Weights routerWeights;
    private final boolean channelsLast;
    private final Precision precision;
    /** Which layer outputs die after which layer, for eval passes that free them early. */
    private final Releases releases;

    private DynamicDetModel(Network network, NDManager manager, Map<String, NDArray> state) {
        this(network, manager, state, false, Precision.FLOAT32);
    }

    private DynamicDetModel(
            Network network, NDManager manager, Map<String, NDArray> state, boolean channelsLast, Precision precision) {
        this.channelsLast = channelsLast;
        this.precision = precision;
        this.releases = Releases.of(network);
        this.network = network;
        this.manager = manager;
        this.state = state;
        for (Section s : Section.values()) {
            for (Node n : network.nodes(s)) nodeWeights.put(n, view(n.prefix()));
        }
        this.routerWeights = view("router.");
    }

    private Weights view(String prefix) {
        return name -> {
            NDArray a = state.get(prefix + name);
            if (a == null) throw new IllegalStateException("tensor " + prefix + name + " is not loaded");
            return a;
        };
    }

    /**
     * Binds a state dict to a network, strictly: every missing, unexpected or mis-shaped key is reported in one
     * {@link ModelLoadException}. Floating tensors are converted to float32 and moved to the manager's device;
     * the model takes ownership of the given arrays' copies.
     *
     * @param source names the file in error messages
     */
    public static DynamicDetModel fromStateDict(
            Network network, Map<String, NDArray> tensors, NDManager manager, String source) {
        List<ParamSpec> expected = network.stateDictSpec();
        WeightReport report = WeightReport.compare(expected, tensors);
        if (!report.isClean()) {
            throw new ModelLoadException(source + " does not fit model "
                    + network.spec().name() + " (" + network.spec().source() + "): " + report.describe(10));
        }
        Map<String, NDArray> state = new LinkedHashMap<>();
        for (ParamSpec p : expected) {
            NDArray a = tensors.get(p.name());
            // DJL's toType returns a view when the type already matches (its copy flag does not reach libtorch), and
            // arrays read from files borrow the reader's buffer: duplicate so the model owns its memory
            NDArray converted = a.getDataType() == p.dataType() ? a.duplicate() : a.toType(p.dataType(), true);
            NDArray placed = converted.toDevice(manager.getDevice(), false);
            if (placed != converted) converted.close();
            placed.attach(manager);
            placed.setName(p.name());
            state.put(p.name(), placed);
        }
        return new DynamicDetModel(network, manager, state);
    }

    /** Binds tensors as they are (no checks, no conversion); for diagnostics in tests. */
    static DynamicDetModel unchecked(Network network, NDManager manager, Map<String, NDArray> state) {
        return new DynamicDetModel(network, manager, state);
    }

    /** A freshly initialised model (the original's init; see {@link Initializer}). */
    public static DynamicDetModel initialized(Network network, NDManager manager, long seed) {
        return new DynamicDetModel(network, manager, Initializer.initialize(network, manager, seed));
    }

    public Network network() {
        return network;
    }

    public Device device() {
        return manager.getDevice();
    }

    public NDManager manager() {
        return manager;
    }

    /** The tensors by their state-dict names, in state-dict order (read-only view). */
    public Map<String, NDArray> stateDict() {
        return Collections.unmodifiableMap(state);
    }

    /** The number format of the convolutions (float32 except for a deploy form made in bfloat16). */
    public Precision precision() {
        return precision;
    }

    /**
     * The deploy form (design.md, Fused model): BatchNorm folded into convolutions, RepConv branches merged, ImplicitA/M folded
     * into the detection convolutions. The new model lives in {@code target}; this model is unchanged.
     */
    public DynamicDetModel fuse(NDManager target) {
        return fuse(target, FuseOptions.defaults());
    }

    /**
     * The deploy form in the given precision. In bfloat16 the convolution weights are folded in float32 and then
     * rounded once; the backbones and heads run in bfloat16 while the router (its pooled features are widened back)
     * and the decoding of the heads' outputs run in float32, so scores, boxes and confidences come out in float32.
     */
    public DynamicDetModel fuse(NDManager target, Precision precision) {
        return fuse(target, FuseOptions.defaults().withPrecision(precision));
    }

    /** The deploy form with explicit options (precision, memory layout); see {@link FuseOptions}. */
    public DynamicDetModel fuse(NDManager target, FuseOptions options) {
        Precision precision = options.precision();
        if (network.isFused()) throw new IllegalStateException("model is already fused");
        if (precision == Precision.BFLOAT16 && !NativeOps.bfloat16Available()) {
            throw new UnsupportedOperationException(
                    "bf16 is not available with this engine: it needs libtorch's to_dtype operator through "
                            + "the PyTorch engine; use fp32");
        }
        Network fusedNet = network.fused();
        boolean cpu = "cpu".equals(target.getDevice().getDeviceType()) && options.channelsLastOnCpu();
        Map<String, NDArray> fusedState =
                ModelFusion.fusedState(network, state, nodeWeights, manager, target, precision, cpu);
        return new DynamicDetModel(fusedNet, target, fusedState, cpu, precision);
    }

    // ------------------------------------------------------------------------------------------------ forward

    /**
     * The one forward entry: runs the parts of the network the plan asks for, in the modes it asks for. The methods
     * below are conveniences over the usual plans. Sections run in the order first backbone, router, composite
     * connections and second backbone, first head, second head (design.md, The data's path).
     */
    public ForwardResult run(NDArray input, ForwardPlan plan) {
        int bs = (int) input.getShape().get(0);
        if (plan.routing() == ForwardPlan.Routing.PER_IMAGE && plan.thresholds().length != bs) {
            throw new IllegalArgumentException(bs + " images but " + plan.thresholds().length + " router thresholds");
        }
        boolean runRouter =
                switch (plan.router()) {
                    case SKIP -> false;
                    case IF_PRESENT -> network.isDynamic();
                    case REQUIRED -> {
                        if (!network.isDynamic())
                            throw new IllegalStateException(
                                    "model " + network.spec().name() + " has no router");
                        yield true;
                    }
                };
        boolean free = plan.frees();
        Trace t = newTrace(input, plan.compute());
        runSection(Section.B1, t, plan.backbone1(), free ? releases.backbone1() : null);
        if (runRouter) route(t);
        NDArray scores = runRouter ? t.score : null;
        switch (plan.routing()) {
            case ROUTER_ONLY:
                return new ForwardResult(t, scores, List.of(), null, null, null);
            case BOTH: {
                // each section's own outputs die after their last reader inside it, as in the route that runs it
                Map<Node, List<Source>> dead1 = free ? releases.routes().get(Route.ROUTE1) : null;
                Map<Node, List<Source>> dead2 = free ? releases.routes().get(Route.ROUTE2) : null;
                runSection(Section.DUAL, t, plan.rest(), dead2);
                runSection(Section.D1, t, plan.rest(), dead1);
                runSection(Section.D2, t, plan.rest(), dead2);
                NDList head1 = floatRaw(t, Section.D1), head2 = floatRaw(t, Section.D2);
                if (plan.rest() == Mode.TRAIN && !plan.keepOutputs()) {
                    // the backward needs only what autograd saved: without the trace's handles those tensors are freed
                    // as the backward passes them, instead of all at the step's end
                    t.releaseAllBut(Set.of(
                            new Source(
                                    Section.D1, network.detectNode(Section.D1).index()),
                            new Source(
                                    Section.D2, network.detectNode(Section.D2).index())));
                }
                return new ForwardResult(t, scores, List.of(), null, head1, head2);
            }
            case FIXED: {
                Route r = plan.route();
                runRoute(t, r, plan.rest(), free);
                HeadOutput out = headOutput(t, head(r), plan.decode());
                return new ForwardResult(
                        t,
                        scores,
                        Collections.nCopies(bs, r),
                        out,
                        r == Route.ROUTE1 ? out.raw() : null,
                        r == Route.ROUTE2 ? out.raw() : null);
            }
            case PER_IMAGE:
                return perImage(t, plan, scores, bs, free);
            default:
                throw new AssertionError(plan.routing());
        }
    }

    /** Image i takes route 1 iff its score >= thresholds[i]; a model without router sends every image to route 2. */
    private ForwardResult perImage(Trace t, ForwardPlan plan, NDArray scoreArray, int bs, boolean free) {
        float[] thresholds = plan.thresholds();
        List<Route> routes = new ArrayList<>(bs);
        if (scoreArray != null) {
            float[] scores = scoreArray.toFloatArray();
            for (int i = 0; i < bs; i++) routes.add(Route.choose(scores[i], thresholds[i]));
        } else {
            for (int i = 0; i < bs; i++) routes.add(Route.ROUTE2);
        }
        List<Integer> rows1 = new ArrayList<>(), rows2 = new ArrayList<>();
        for (int i = 0; i < bs; i++) (routes.get(i) == Route.ROUTE1 ? rows1 : rows2).add(i);
        if (rows2.isEmpty() || rows1.isEmpty()) {
            Route only = rows2.isEmpty() ? Route.ROUTE1 : Route.ROUTE2;
            runRoute(t, only, plan.rest(), free);
            HeadOutput out = headOutput(t, head(only), plan.decode());
            return new ForwardResult(
                    t,
                    scoreArray,
                    routes,
                    out,
                    only == Route.ROUTE1 ? out.raw() : null,
                    only == Route.ROUTE2 ? out.raw() : null);
        }
        NDArray input = t.input();
        NDManager m = input.getManager();
        HeadOutput e = runSubset(t, rows1, Route.ROUTE1, m, plan, free);
        HeadOutput h = runSubset(t, rows2, Route.ROUTE2, m, plan, free);
        long[] inverse = new long[bs];
        int k = 0;
        for (int i : rows1) inverse[i] = k++;
        for (int i : rows2) inverse[i] = k++;
        NDArray order = m.create(inverse).toDevice(input.getDevice(), false);
        NDArray decoded = plan.decode()
                ? NDArrays.concat(new NDList(e.decoded(), h.decoded()), 0).get(new NDIndex("{}", order))
                : null;
        NDList raw = new NDList(e.raw().size());
        for (int lvl = 0; lvl < e.raw().size(); lvl++) {
            raw.add(NDArrays.concat(new NDList(e.raw().get(lvl), h.raw().get(lvl)), 0)
                    .get(new NDIndex("{}", order)));
        }
        return new ForwardResult(t, scoreArray, routes, new HeadOutput(decoded, raw), null, null);
    }

    private HeadOutput runSubset(
            Trace full, List<Integer> rows, Route route, NDManager m, ForwardPlan plan, boolean free) {
        long[] idx = rows.stream().mapToLong(Integer::longValue).toArray();
        Trace sub = full.subset(m.create(idx).toDevice(full.input().getDevice(), false), network);
        runRoute(sub, route, plan.rest(), free);
        return headOutput(sub, head(route), plan.decode());
    }

    private static Section head(Route r) {
        return r == Route.ROUTE1 ? Section.D1 : Section.D2;
    }

    private NDList rawOutput(Trace t, Section head) {
        return t.output(head, network.detectNode(head).index());
    }

    /** A head's raw output in float32 for the loss; widened with its gradient after a bfloat16 pass. */
    private NDList floatRaw(Trace t, Section head) {
        return toFloat32(rawOutput(t, head));
    }

    /** The list itself when it holds no bfloat16 array, else a copy with those widened (gradients kept). */
    private static NDList toFloat32(NDList raw) {
        if (raw.stream().noneMatch(NativeOps::isBFloat16)) return raw;
        NDList wide = new NDList(raw.size());
        for (NDArray r : raw) wide.add(toFloat32(r));
        return wide;
    }

    /** Runs the first backbone and the router: easiness scores (B, 1). Only for dynamic models. */
    public NDArray routerScores(NDArray input) {
        return run(input, ForwardPlan.routerOnly()).scores();
    }

    /** Runs every image of the batch through one route (eval mode). */
    public HeadOutput forward(NDArray input, Route route) {
        return run(input, ForwardPlan.fixed(route)).output();
    }

    /**
     * Eval-mode forward of the given route that keeps every layer's output (for inspection and tests).
     * The router runs too when the model has one.
     */
    public Trace trace(NDArray input, Route route) {
        return run(input, ForwardPlan.fixed(route).withKeepOutputs(true).withDecode(false))
                .trace();
    }

    /** Decoded and raw output of a head that ran in a trace. */
    public HeadOutput headOutput(Trace t, Section head) {
        return headOutput(t, head, true);
    }

    private HeadOutput headOutput(Trace t, Section head, boolean decode) {
        Node det = network.detectNode(head);
        NDList raw = toFloat32(t.output(head, det.index()));
        return new HeadOutput(decode ? ((IDetect) det.layer()).decode(raw, nodeWeights.get(det)) : null, raw);
    }

    @Override
    public float[] easiness(NDArray input) {
        if (!network.isDynamic()) {
            float[] nan = new float[(int) input.getShape().get(0)];
            Arrays.fill(nan, Float.NaN);
            return nan;
        }
        return routerScores(input).toFloatArray();
    }

    @Override
    public NDArray decode(NDArray input, Route route) {
        return forward(input, route).decoded();
    }

    /**
     * Dynamic eval forward: the router scores every image, image i takes route 1 iff its score >= thresholds[i]
     * (requests with different speed settings may share a batch), the others route 2, and the outputs are put back
     * in batch order. A non-dynamic model sends every image to route 2, as the original does. All images must share
     * one (letterboxed) size.
     */
    @Override
    public RoutedOutput forward(NDArray input, float[] thresholds) {
        int bs = (int) input.getShape().get(0);
        if (thresholds.length != bs)
            throw new IllegalArgumentException(bs + " images but " + thresholds.length + " router thresholds");
        ForwardResult r = run(input, ForwardPlan.perImage(thresholds));
        return new RoutedOutput(r.output().decoded(), r.output().raw(), r.scoreArray(bs), r.routes());
    }

    /**
     * Training-mode forward (design.md, The data's path): BatchNorm uses batch statistics and updates its running statistics,
     * every part runs, and both heads return raw logits.
     */
    public TrainOutput forwardTrain(NDArray input) {
        return forwardTrain(input, Precision.FLOAT32);
    }

    /** {@link #forwardTrain(NDArray)} computing in {@code compute}: bfloat16 is mixed precision (design.md). */
    public TrainOutput forwardTrain(NDArray input, Precision compute) {
        return run(input, ForwardPlan.bothRoutes(Mode.TRAIN).withCompute(compute))
                .toTrainOutput();
    }

    /**
     * The forward of route-2 training with route 1 frozen: the first backbone runs in eval mode (its BatchNorm keeps
     * its statistics), the composite connections, second backbone and second head in training mode; the first head
     * is not run. {@link TrainOutput#head1()} is null.
     */
    public TrainOutput forwardTrainRoute2(NDArray input) {
        return forwardTrainRoute2(input, Precision.FLOAT32);
    }

    /** {@link #forwardTrainRoute2(NDArray)} computing in {@code compute}. */
    public TrainOutput forwardTrainRoute2(NDArray input, Precision compute) {
        return run(
                        input,
                        ForwardPlan.fixed(Route.ROUTE2)
                                .withBackbone1(Mode.EVAL)
                                .withRest(Mode.TRAIN)
                                .withRouter(ForwardPlan.RouterUse.SKIP)
                                .withDecode(false)
                                .withCompute(compute))
                .toTrainOutput();
    }

    /** Tensors of route 2 alone: the composite connections, the second backbone and the second head. */
    public static boolean isRoute2Only(String name) {
        return name.startsWith(Section.DUAL.keyPrefix() + ".") || name.startsWith(Section.D2.keyPrefix() + ".");
    }

    /**
     * The forward of router training (step 2, design.md, Training step 2): every part runs with BatchNorm in eval mode (running
     * statistics, frozen detector), both heads return raw logits and the router its easiness score. Gradients reach
     * whatever tensors require them (in step 2 only the router's).
     */
    public TrainOutput forwardFrozen(NDArray input) {
        return forwardFrozen(input, Precision.FLOAT32);
    }

    /** {@link #forwardFrozen(NDArray)} computing in {@code compute}; the router itself runs in float32. */
    public TrainOutput forwardFrozen(NDArray input, Precision compute) {
        return run(
                        input,
                        ForwardPlan.bothRoutes(Mode.EVAL)
                                .withRouter(ForwardPlan.RouterUse.REQUIRED)
                                .withCompute(compute))
                .toTrainOutput();
    }

    private Trace newTrace(NDArray input, Precision compute) {
        network.checkInputShape(input.getShape());
        if (!input.getDevice().equals(device())) {
            throw new IllegalArgumentException("input is on " + input.getDevice() + " but the model is on " + device());
        }
        if (precision == Precision.FLOAT32 && compute == Precision.BFLOAT16) {
            if (!NativeOps.bfloat16Available())
                throw new IllegalStateException("bf16 is not available with this engine: it needs libtorch's to_dtype "
                        + "operator through the native operators (not switched off)");
            // oneDNN runs bfloat16 convolutions and their backward fastest on channels-last memory, with no reorders
            NDArray x = device().isGpu() ? input : Ops.toChannelsLast(input);
            return new Trace(NativeOps.toBFloat16(x), network);
        }
        NDArray x = channelsLast ? Ops.toChannelsLast(input) : input;
        return new Trace(precision == Precision.BFLOAT16 ? NativeOps.toBFloat16(x) : x, network);
    }

    /** Runs one route; {@code free} closes every layer output as soon as its last reader has run (less memory traffic). */
    private void runRoute(Trace t, Route route, Mode mode, boolean free) {
        Map<Node, List<Source>> dead = free ? releases.routes().get(route) : null;
        if (route == Route.ROUTE1) {
            runSection(Section.D1, t, mode, dead);
        } else {
            runSection(Section.DUAL, t, mode, dead);
            runSection(Section.D2, t, mode, dead);
        }
    }

    private void route(Trace t) {
        List<NDArray> feats = new ArrayList<>();
        for (int idx : network.spec().routerIns()) {
            feats.add(toFloat32(t.output(Section.B1, idx).head()));
        }
        t.pooled = network.router().pool(feats);
        t.score = network.router().score(t.pooled, routerWeights);
    }

    /** An activation in float32: itself, or widened (with its gradient) from bfloat16. */
    private static NDArray toFloat32(NDArray x) {
        return NativeOps.isBFloat16(x) ? NativeOps.toFloat32(x) : x;
    }

    private void runSection(Section s, Trace t, Mode mode, Map<Node, List<Source>> dead) {
        ObjLongConsumer<Node> timer = layerTimer;
        for (Node n : network.nodes(s)) {
            List<NDList> inputs = new ArrayList<>(n.sources().size());
            for (Source src : n.sources()) inputs.add(t.get(src));
            long t0 = timer == null ? 0 : System.nanoTime();
            t.put(s, n.index(), n.layer().forward(inputs, nodeWeights.get(n), mode));
            if (timer != null) timer.accept(n, System.nanoTime() - t0);
            if (dead != null) for (Source src : dead.getOrDefault(n, List.of())) t.release(src);
        }
    }

    private volatile ObjLongConsumer<Node> layerTimer;

    /** Diagnostics: receives every layer's wall time in nanoseconds (CPU ops are synchronous); null switches it off. */
    public void setLayerTimer(ObjLongConsumer<Node> timer) {
        this.layerTimer = timer;
    }

    @Override
    public void close() {
        manager.close();
    }
}
