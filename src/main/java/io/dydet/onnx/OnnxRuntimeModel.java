package io.dydet.onnx;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.Network;
import io.dydet.model.Route;
import io.dydet.model.RoutedModel;
import io.dydet.model.RoutedOutput;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dynamic model on ONNX Runtime: the exported graphs in three sessions and the routing in Java. The stem runs
 * on the whole batch; images with score >= their threshold continue through route1_head, the others through
 * route2, each head on its own sub-batch; the predictions are put back in batch order.
 *
 * <p>Session settings: intra-op threads as the engine's (process-wide, {@code --threads}) without spinning, one
 * inter-op thread and sequential execution (the graphs are chains, parallel branches only add scheduling), all graph optimisations
 * (constant folding, fusions, the NCHWc blocked layout) except the QuickGelu fusion of SiLU (see {@link #options}).
 */
public final class OnnxRuntimeModel implements RoutedModel {
    private final Network network;
    private final OnnxExport.Layout layout;
    private final OrtEnvironment env;
    private final OrtSession stem;
    private final OrtSession head1;
    private final OrtSession route2;

    private OnnxRuntimeModel(Network network, OnnxExport.Graphs graphs, int threads) throws OrtException {
        this.network = network;
        this.layout = graphs.layout();
        this.env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = options(threads)) {
            OrtSession s = null, h = null;
            try {
                s = env.createSession(graphs.route1Stem(), o);
                h = env.createSession(graphs.route1Head(), o);
                this.route2 = env.createSession(graphs.route2(), o);
            } catch (OrtException | RuntimeException e) {
                if (s != null) s.close();
                if (h != null) h.close();
                throw e;
            }
            this.stem = s;
            this.head1 = h;
        }
    }

    /** Session options for this CPU: {@code threads} intra-op threads (0 = ONNX Runtime's default, all cores). */
    static OrtSession.SessionOptions options(int threads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        if (threads > 0) o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        // each of the three sessions has its own intra-op pool; a pool spinning after its run takes cores from the next
        // session's (measured, 2 cores: route 1 0.58-0.62 s without spinning, 0.68-0.73 s with it)
        o.addConfigEntry("session.intra_op.allow_spinning", "0");
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        // QuickGelu (its fusion of x * sigmoid(x)) has no blocked-layout kernel: every convolution's output would be
        // reordered out of and back into the NCHWc layout (76 reorders in dy-yolov7's stem); kept as Sigmoid and Mul,
        // both run in NCHWc: fewer passes over memory, the stem about 5% faster on this CPU (5 interleaved pairs)
        o.addConfigEntry("optimization.disable_specified_optimizers", "QuickGeluFusion");
        return o;
    }

    /** Exports a fused model in memory and opens it in ONNX Runtime. */
    public static OnnxRuntimeModel of(DynamicDetModel fused, int threads) {
        try {
            return new OnnxRuntimeModel(fused.network(), OnnxExport.export(fused), threads);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load the exported graphs: " + e.getMessage(), e);
        }
    }

    @Override
    public Network network() {
        return network;
    }

    @Override
    public Device device() {
        return Device.cpu();
    }

    /** The easiness scores (B) of a batch, from the stem alone. */
    @Override
    public float[] easiness(NDArray input) {
        if (!layout.dynamic()) {
            float[] nan = new float[(int) input.getShape().get(0)];
            Arrays.fill(nan, Float.NaN);
            return nan;
        }
        try (OnnxTensor images = tensor(input);
                OrtSession.Result r = stem.run(Map.of(OnnxExport.IMAGES, images))) {
            return floats(r, OnnxExport.SCORE);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    @Override
    public NDArray decode(NDArray input, Route route) {
        return run(input, null, route).decoded();
    }

    @Override
    public RoutedOutput forward(NDArray input, float[] thresholds) {
        if (thresholds.length != input.getShape().get(0))
            throw new IllegalArgumentException(
                    input.getShape().get(0) + " images but " + thresholds.length + " router thresholds");
        return run(input, thresholds, null);
    }

    /** Routes by {@code thresholds}, or sends the whole batch down {@code forced} when it is given. */
    private RoutedOutput run(NDArray input, float[] thresholds, Route forced) {
        int bs = (int) input.getShape().get(0);
        try (OnnxTensor images = tensor(input);
                OrtSession.Result features = stem.run(Map.of(OnnxExport.IMAGES, images))) {
            float[] scores = new float[bs];
            List<Route> routes = new ArrayList<>(bs);
            if (layout.dynamic()) scores = floats(features, OnnxExport.SCORE);
            else Arrays.fill(scores, Float.NaN);
            List<Integer> easy = new ArrayList<>(), hard = new ArrayList<>();
            for (int i = 0; i < bs; i++) {
                Route r = forced != null
                        ? forced
                        : layout.dynamic() ? Route.choose(scores[i], thresholds[i]) : Route.ROUTE2;
                routes.add(r);
                (r == Route.ROUTE1 ? easy : hard).add(i);
            }
            // each head's predictions go to the engine once; a mixed batch is put back in order there
            NDArray[] perRoute = new NDArray[2];
            for (Route r : Route.values()) {
                List<Integer> subset = r == Route.ROUTE1 ? easy : hard;
                if (subset.isEmpty()) continue;
                Map<String, OnnxTensor> in = new HashMap<>();
                List<OnnxTensor> owned = new ArrayList<>();
                try {
                    for (String name : r == Route.ROUTE1 ? layout.route1HeadInputs() : layout.route2Inputs()) {
                        OnnxTensor full = name.equals(OnnxExport.IMAGES)
                                ? images
                                : (OnnxTensor) features.get(name).orElseThrow();
                        if (subset.size() == bs) in.put(name, full);
                        else {
                            OnnxTensor part = rows(full, subset);
                            owned.add(part);
                            in.put(name, part);
                        }
                    }
                    try (OrtSession.Result out = (r == Route.ROUTE1 ? head1 : route2).run(in)) {
                        OnnxTensor p =
                                (OnnxTensor) out.get(OnnxExport.PREDICTIONS).orElseThrow();
                        perRoute[r.ordinal()] = input.getManager()
                                .create(
                                        p.getFloatBuffer(),
                                        new Shape(p.getInfo().getShape()));
                    }
                } finally {
                    for (OnnxTensor t : owned) t.close();
                }
            }
            NDArray decoded;
            if (hard.isEmpty()) decoded = perRoute[Route.ROUTE1.ordinal()];
            else if (easy.isEmpty()) decoded = perRoute[Route.ROUTE2.ordinal()];
            else {
                long[] inverse = new long[bs];
                int k = 0;
                for (int i : easy) inverse[i] = k++;
                for (int i : hard) inverse[i] = k++;
                decoded = perRoute[0]
                        .concat(perRoute[1])
                        .get(new NDIndex("{}", input.getManager().create(inverse)));
            }
            return new RoutedOutput(decoded, new NDList(), scores, routes);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    private OnnxTensor tensor(NDArray input) throws OrtException {
        return OnnxTensor.createTensor(
                env, FloatBuffer.wrap(input.toFloatArray()), input.getShape().getShape());
    }

    /** The given batch rows of a tensor, copied into a new one. */
    private OnnxTensor rows(OnnxTensor full, List<Integer> subset) throws OrtException {
        long[] shape = full.getInfo().getShape().clone();
        int row = (int) (Arrays.stream(shape).skip(1).reduce(1, (a, b) -> a * b));
        float[] src = full.getFloatBuffer().array();
        float[] dst = new float[subset.size() * row];
        for (int k = 0; k < subset.size(); k++) System.arraycopy(src, subset.get(k) * row, dst, k * row, row);
        shape[0] = subset.size();
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(dst), shape);
    }

    private static float[] floats(OrtSession.Result r, String name) throws OrtException {
        OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("the graph has no output " + name));
        return ((OnnxTensor) v).getFloatBuffer().array();
    }

    @Override
    public void close() {
        try {
            stem.close();
            head1.close();
            route2.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
