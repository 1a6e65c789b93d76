package io.dydet.engine.check;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import com.sun.jna.NativeLibrary;
import io.dydet.engine.Engines;
import io.dydet.engine.Layouts;
import io.dydet.engine.NativeOps;
import io.dydet.json.Json;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The engine check's probe: a process of its own (a wrong kernel may crash it, and a crash cannot be caught inside a
 * JVM) that runs every convolution shape of a suite through the engine under one torch setting and compares each
 * result with {@link ConvReference}. Before each engine call it prints the mode and shape on standard output, so the
 * parent names the shape a crash happened at. Its result goes to a JSON file ({@link ProbeResult}).
 *
 * <p>Arguments: {@code --setting S --suite FILE --out FILE [--modes m1,m2] [--inject wrong|crash]}. Fault
 * injection, for tests of the fallback path: {@code wrong} shifts one block of every torch output before the
 * comparison (the real comparator must catch it), {@code crash} raises SIGFPE in the process after its first
 * convolution, as the faulty oneDNN kernel does.
 */
public final class ConvProbe {
    /** Printed before every engine call: mode, index, shape. */
    static final String PROGRESS = "dydet-probe ";

    private static final long SEED = 20231;

    private final String inject;
    private boolean failFast;
    private final PrintStream progress;

    private ConvProbe(String inject, PrintStream progress) {
        this.inject = inject;
        this.progress = progress;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i], args[i + 1]);
        TorchSetting setting = TorchSetting.parse(a.getOrDefault("--setting", "default"));
        ConvSuite suite = ConvSuite.read(Path.of(a.get("--suite")));
        Set<CheckMode> modes = EnumSet.noneOf(CheckMode.class);
        for (String m : a.getOrDefault(
                        "--modes", "fp32,fp32_channels_last,bf16_channels_last,training,bf16_training,onnxruntime")
                .split(",")) {
            modes.add(CheckMode.valueOf(m.trim().toUpperCase(Locale.ROOT)));
        }
        Path out = Path.of(a.get("--out"));
        long start = System.nanoTime();
        Engines.startUnchecked(0);
        setting.applyInProcess();
        ConvProbe probe = new ConvProbe(a.get("--inject"), System.out);
        probe.failFast = Boolean.parseBoolean(a.getOrDefault("--fail-fast", "false"));
        Map<String, ModeResult> results = probe.runAll(suite, modes);
        ProbeResult r =
                new ProbeResult(setting.cliName(), null, null, List.of(), results, (System.nanoTime() - start) / 1e9);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Json.PRETTY.writeValue(tmp.toFile(), r);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        exitNow(0);
    }

    /**
     * Flushes Java's and the C library's standard output (oneDNN prints through the latter, buffered in a pipe) and
     * ends the process without waiting for the engines' thread pools to wind down.
     */
    public static void exitNow(int status) {
        System.out.flush();
        NativeLibrary.getInstance("c").getFunction("fflush").invokeInt(new Object[] {null});
        Runtime.getRuntime().halt(status);
    }

    /** One tally per mode. */
    private static final class Tally {
        final List<String> failures = new ArrayList<>();
        double seconds, worst;
        int checked, failed, planned;

        ModeResult result() {
            if (failed == 0 && checked < planned) {
                return new ModeResult(
                        ModeResult.SKIPPED,
                        checked,
                        0,
                        seconds,
                        worst,
                        List.of("stopped at the first wrong shape of another mode"),
                        null);
            }
            return new ModeResult(
                    failed == 0 ? ModeResult.PASSED : ModeResult.FAILED,
                    checked,
                    failed,
                    seconds,
                    worst,
                    failures,
                    null);
        }
    }

    /**
     * Runs every shape through every mode that applies to it, shape by shape, so each shape's reference is computed
     * once for all modes.
     */
    Map<String, ModeResult> runAll(ConvSuite suite, Set<CheckMode> modes) {
        Map<CheckMode, Tally> tallies = new EnumMap<>(CheckMode.class);
        Map<String, ModeResult> skipped = new LinkedHashMap<>();
        for (CheckMode m : modes) {
            if (m.bfloat16() && !NativeOps.bfloat16Available()) {
                skipped.put(m.key(), ModeResult.skipped("bfloat16 is not available with this engine"));
            } else {
                tallies.put(m, new Tally());
            }
        }
        OrtEnvironment env = tallies.containsKey(CheckMode.ONNXRUNTIME) ? OrtEnvironment.getEnvironment() : null;
        Set<ConvShape> forward = Set.copyOf(suite.forward()), training = Set.copyOf(suite.training());
        List<ConvShape> all = new ArrayList<>(new LinkedHashSet<>(suite.forward()));
        for (ConvShape c : suite.training()) if (!forward.contains(c)) all.add(c);
        tallies.forEach((m, t) -> t.planned = m.backward() ? training.size() : forward.size());
        shapes:
        for (int i = 0; i < all.size(); i++) {
            ConvShape shape = all.get(i);
            ConvReference ref = new ConvReference(shape, SEED);
            for (Map.Entry<CheckMode, Tally> e : tallies.entrySet()) {
                CheckMode mode = e.getKey();
                if (!(mode.backward() ? training : forward).contains(shape)) continue;
                progress.println(PROGRESS + mode.key() + " " + (i + 1) + "/" + all.size() + " " + shape);
                progress.flush();
                check(mode, ref, env, e.getValue());
                if (failFast && e.getValue().failed > 0 && EngineReport.REQUIRED.contains(mode)) break shapes;
            }
        }
        Map<String, ModeResult> out = new LinkedHashMap<>();
        for (CheckMode m : CheckMode.values()) {
            if (tallies.containsKey(m)) out.put(m.key(), tallies.get(m).result());
            else if (skipped.containsKey(m.key())) out.put(m.key(), skipped.get(m.key()));
        }
        return out;
    }

    private void check(CheckMode mode, ConvReference ref, OrtEnvironment env, Tally tally) {
        List<ConvReference.Deviation> deviations;
        try {
            if (mode == CheckMode.ONNXRUNTIME) {
                Timed y = onnxRuntime(env, ref);
                tally.seconds += y.seconds;
                deviations = ref.checkForward(y.values, mode.relTolerance());
            } else if (mode.backward()) {
                Gradients g = torchBackward(ref, mode);
                tally.seconds += g.seconds;
                deviations = new ArrayList<>(ref.checkForward(g.y, mode.relTolerance()));
                deviations.addAll(ref.checkBackward(g.dx, g.dw, g.db, mode.relTolerance()));
            } else {
                Timed y = torchForward(ref, mode);
                tally.seconds += y.seconds;
                deviations = ref.checkForward(y.values, mode.relTolerance());
            }
        } catch (RuntimeException | OrtException e) {
            deviations = List.of(new ConvReference.Deviation("engine error: " + e, Double.POSITIVE_INFINITY, -1, 0, 0));
        }
        tally.checked++;
        boolean ok = true;
        for (ConvReference.Deviation d : deviations) {
            tally.worst = Math.max(tally.worst, d.worst());
            if (!d.passes()) {
                ok = false;
                if (tally.failures.size() < 8) tally.failures.add(ref.shape() + ": " + d);
            }
        }
        if (!ok) tally.failed++;
    }

    /** An engine's output in NCHW order and the seconds the engine took for it. */
    private record Timed(float[] values, double seconds) {}

    private Timed torchForward(ConvReference ref, CheckMode mode) {
        ConvShape s = ref.shape();
        try (NDManager m = NDManager.newBaseManager()) {
            // two identical images: libtorch sends a batch of one small image past oneDNN, a larger batch through it
            NDArray x = twice(m, ref.input(), s.in(), s.height(), s.width());
            NDArray w = m.create(ref.weight(), new Shape(s.out(), s.in(), s.kernel(), s.kernel()));
            NDArray b = m.create(ref.bias(), new Shape(s.out()));
            if (mode != CheckMode.FP32) {
                x = Layouts.channelsLast(x);
                w = Layouts.channelsLast(w);
            }
            if (mode == CheckMode.BF16_CHANNELS_LAST) {
                x = NativeOps.toBFloat16(x);
                w = NativeOps.toBFloat16(w);
                b = NativeOps.toBFloat16(b);
            }
            long t0 = System.nanoTime();
            NDArray y = conv(x, w, b, s);
            if (mode == CheckMode.BF16_CHANNELS_LAST) y = y.toType(DataType.FLOAT32, false);
            double seconds = (System.nanoTime() - t0) / 1e9;
            // reshape(-1) copies a channels-last result into NCHW order for the comparison (not timed)
            return new Timed(injected(firstOfTwo(y.reshape(-1).toFloatArray(), mode.relTolerance())), seconds);
        }
    }

    private record Gradients(float[] y, float[] dx, float[] dw, float[] db, double seconds) {}

    private Gradients torchBackward(ConvReference ref, CheckMode mode) {
        ConvShape s = ref.shape();
        boolean bf16 = mode == CheckMode.BF16_TRAINING;
        boolean grad = Engines.isGradEnabled();
        Engines.setGradEnabled(true);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = twice(m, ref.input(), s.in(), s.height(), s.width());
            NDArray w = m.create(ref.weight(), new Shape(s.out(), s.in(), s.kernel(), s.kernel()));
            NDArray b = m.create(ref.bias(), new Shape(s.out()));
            NDArray g = twice(m, ref.upstream(), s.out(), s.outHeight(), s.outWidth());
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            long t0 = System.nanoTime();
            NDArray y;
            if (bf16) {
                // as bf16 training runs it: channels-last bfloat16 casts of float32 leaves, gradients through the casts
                // (the suite's values are bfloat16-exact, so only the convolution's own rounding shows)
                NDArray y16 = conv(
                        NativeOps.toBFloat16(Layouts.channelsLast(x)),
                        NativeOps.toBFloat16(Layouts.channelsLast(w)),
                        NativeOps.toBFloat16(b),
                        s);
                y = NativeOps.toFloat32(y16);
            } else {
                y = conv(x, w, b, s);
            }
            Engines.backward(y.mul(g).sum());
            double seconds = (System.nanoTime() - t0) / 1e9;
            double tol = mode.relTolerance();
            // the weight and bias gradients sum over the two identical images: halved (exactly) they are one image's
            return new Gradients(
                    injected(firstOfTwo(y.stopGradient().reshape(-1).toFloatArray(), tol)),
                    injected(firstOfTwo(x.getGradient().toFloatArray(), tol)),
                    halved(w.getGradient().toFloatArray()),
                    halved(b.getGradient().toFloatArray()),
                    seconds);
        } finally {
            Engines.setGradEnabled(grad);
        }
    }

    private static NDArray twice(NDManager m, float[] image, long c, long h, long w) {
        float[] two = new float[image.length * 2];
        System.arraycopy(image, 0, two, 0, image.length);
        System.arraycopy(image, 0, two, image.length, image.length);
        return m.create(two, new Shape(2, c, h, w));
    }

    /**
     * The first image's values of a batch of two identical images; where the second differs from the first, the
     * first is replaced by NaN there, so the comparison fails.
     */
    private static float[] firstOfTwo(float[] both, double relTolerance) {
        int n = both.length / 2;
        float[] first = Arrays.copyOf(both, n);
        for (int i = 0; i < n; i++) {
            if (Math.abs(both[i] - both[n + i]) > relTolerance * (Math.abs(both[i]) + Math.abs(both[n + i])) + 1e-6)
                first[i] = Float.NaN;
        }
        return first;
    }

    private static float[] halved(float[] a) {
        for (int i = 0; i < a.length; i++) a[i] *= 0.5f;
        return a;
    }

    private NDArray conv(NDArray x, NDArray w, NDArray b, ConvShape s) {
        NDArray y = Conv2d.conv2d(
                        x,
                        w,
                        b,
                        new Shape(s.stride(), s.stride()),
                        new Shape(s.padding(), s.padding()),
                        new Shape(1, 1),
                        1)
                .singletonOrThrow();
        if ("crash".equals(inject)) {
            // what the faulty kernel does: an integer division by zero in native code kills the process
            NativeLibrary.getInstance("c").getFunction("raise").invokeInt(new Object[] {8});
        }
        return y;
    }

    /** Fault injection: shifts the first channel's top-left block, as a kernel with a wrong blocking would. */
    private float[] injected(float[] values) {
        if (!"wrong".equals(inject)) return values;
        int n = Math.min(values.length, 16);
        for (int i = 0; i < n; i++) values[i] += 0.5f + Math.abs(values[i]);
        return values;
    }

    /** The output of ONNX Runtime, timed without the session's creation. */
    private Timed onnxRuntime(OrtEnvironment env, ConvReference ref) throws OrtException {
        ConvShape s = ref.shape();
        byte[] model = convModel(ref);
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setInterOpNumThreads(1);
            o.addConfigEntry("session.intra_op.allow_spinning", "0");
            try (OrtSession session = env.createSession(model, o);
                    OnnxTensor x = OnnxTensor.createTensor(
                            env, FloatBuffer.wrap(ref.input()), new long[] {1, s.in(), s.height(), s.width()})) {
                long t0 = System.nanoTime();
                try (OrtSession.Result r = session.run(Map.of("x", x))) {
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
                    float[] out = new float[fb.remaining()];
                    fb.get(out);
                    return new Timed(out, seconds);
                }
            }
        }
    }

    /** A one-node ONNX model: y = Conv(x, W, B) with the reference's weights as initializers. */
    static byte[] convModel(ConvReference ref) {
        ConvShape s = ref.shape();
        OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("conv");
        g.addInitializer(tensor("W", ref.weight(), s.out(), s.in(), s.kernel(), s.kernel()));
        g.addInitializer(tensor("B", ref.bias(), s.out()));
        g.addInput(valueInfo("x", 1, s.in(), s.height(), s.width()));
        g.addOutput(valueInfo("y", 1, s.out(), s.outHeight(), s.outWidth()));
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder()
                .setOpType("Conv")
                .setName("conv")
                .addInput("x")
                .addInput("W")
                .addInput("B")
                .addOutput("y");
        n.addAttribute(ints("kernel_shape", s.kernel(), s.kernel()));
        n.addAttribute(ints("strides", s.stride(), s.stride()));
        n.addAttribute(ints("pads", s.padding(), s.padding(), s.padding(), s.padding()));
        g.addNode(n);
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("dydet-engine-check")
                .addOpsetImport(
                        OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(g)
                .build()
                .toByteArray();
    }

    private static OnnxMl.AttributeProto ints(String name, long... values) {
        OnnxMl.AttributeProto.Builder a =
                OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INTS);
        for (long v : values) a.addInts(v);
        return a.build();
    }

    private static OnnxMl.TensorProto tensor(String name, float[] data, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder()
                .setName(name)
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, long... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (long d : dims)
            shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        OnnxMl.TypeProto type = OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                        .setShape(shape))
                .build();
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }
}
