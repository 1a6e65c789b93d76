package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.data.Hyperparameters;
import io.dydet.engine.Engines;
import io.dydet.engine.Layouts;
import io.dydet.engine.NativeOps;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ForwardPlan;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.Precision;
import io.dydet.model.TrainOutput;
import io.dydet.nn.ConvBnSilu;
import io.dydet.nn.Mode;
import io.dydet.testing.Golden;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.TensorEntry;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Drift of bfloat16 mixed-precision training from float32 on the golden batch (two letterboxed images at 192, their
 * targets), dy-yolov7 width 0.25 with the golden weights, both heads' step-1 loss.
 *
 * <p>Whole network, BatchNorm on its running statistics: with batch statistics over two images a step-1 forward is
 * chaotic (the golden README's train-mode tolerances are 20-500x its eval ones), so there even float32 with 1e-3 noise
 * on the input gives gradients of cosine 0.01 to the unperturbed ones (measured); the comparison would measure the
 * chaos, not the arithmetic. The bfloat16 pass reuses the float32 pass's OTA assignment for the same reason.
 * Training-mode BatchNorm in bfloat16 (libtorch's mixed-type kernel) is compared on its own in
 * {@link #trainingModeConvBatchNormSiluKeepsItsGradients}.
 *
 * <p>Measured on a 2-core Intel Xeon (AVX512-BF16, AMX), see the printed line and the bounds' comment. bfloat16 keeps
 * 8 significant bits (relative rounding 2^-9, 0.2% per layer), and the golden weights' BatchNorm scales of 1-2 grow
 * activations layer by layer, so over a hundred layers each way the gradients drift by percents to tens of percents of
 * a tensor's largest value (cosine 0.974); from the original's initialisation (scales 1) the same comparison gives
 * cosine 1.000000 and a median of 1%. Float32 with 4e-3 noise on the input (bfloat16's rounding of the image) gives
 * cosine 0.9998. The bounds are about 3x the measured error (4x for 1 - cosine); a defect (a cast that drops the
 * gradient, a wrong kernel, a layout mix-up) gives cosines near 0 and errors of order 1, as seen while writing this.
 */
class BFloat16TrainingTest {
    static NDManager manager;
    static Step fp32;
    static Step bf16;

    record Step(float loss, Map<String, float[]> grads, CascadeLoss.Result assignment) {}

    @BeforeAll
    static void run() throws Exception {
        manager = NDManager.newBaseManager(Device.cpu());
        fp32 = step(Precision.FLOAT32, null);
        bf16 = NativeOps.bfloat16Available() ? step(Precision.BFLOAT16, fp32.assignment()) : null;
    }

    static Step step(Precision precision, CascadeLoss.Result assignment) throws Exception {
        Network net = Network.build(ModelSpec.load(Golden.file("dy-yolov7-w025-step1.yaml")));
        NDManager m = manager.newSubManager();
        Map<String, NDArray> weights = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensors.open(Golden.file("dy-yolov7-w025.safetensors"))) {
            for (TensorEntry e : f.entries())
                if (!e.name().startsWith("router.")) weights.put(e.name(), f.read(m, e.name()));
        }
        DynamicDetModel model = DynamicDetModel.fromStateDict(net, weights, m.newSubManager(), "golden");
        Trainables.requireGradients(model);
        Hyperparameters hyp = Hyperparameters.scratchP5().scaledForTraining(3, 80, 192);
        try (Golden g = Golden.open("dy-yolov7-w025")) {
            NDManager step = m.newSubManager();
            NDArray x = Golden.bgrToInput(g.tensor(step, "train.letterboxed_bgr_u8"));
            float[][] targets = CascadeLossGoldenTest.rows(g.tensor(step, "train.targets"));
            boolean grad = Engines.isGradEnabled();
            Engines.setGradEnabled(true);
            CascadeLoss.Result result = null;
            NDArray total;
            try {
                TrainOutput out = model.run(x, ForwardPlan.bothRoutes(Mode.EVAL).withCompute(precision))
                        .toTrainOutput();
                if (assignment == null) {
                    result = new CascadeLoss(model, hyp).compute(out, targets, 192);
                    total = result.total();
                } else {
                    HeadLoss head = new HeadLoss(hyp, 80, 3);
                    HeadLoss.Terms t1 = head.compute(out.head1(), assignment.head1Matches());
                    HeadLoss.Terms t2 = head.compute(out.head2(), assignment.head2Matches());
                    total = t1.sum().add(t2.sum()).mul(2f).reshape(1); // per-image sum times the batch, as CascadeLoss
                }
                Engines.backward(total);
            } finally {
                Engines.setGradEnabled(grad);
            }
            Map<String, float[]> grads = new LinkedHashMap<>();
            for (var e : model.stateDict().entrySet()) {
                if (!e.getValue().hasGradient()) continue;
                try (NDArray gr = e.getValue().getGradient()) {
                    grads.put(e.getKey(), gr.toFloatArray());
                }
            }
            return new Step(total.getFloat(0), grads, result);
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void wholeNetworkLossAndGradientsDriftWithinTheMeasuredBounds() {
        assertTrue(bf16 != null, "the bundled libtorch has the bfloat16 operators");
        assertEquals(fp32.grads().keySet(), bf16.grads().keySet(), "both precisions give every tensor a gradient");
        double lossDrift = Math.abs(bf16.loss() - fp32.loss()) / Math.abs(fp32.loss());
        Drift d = Drift.of(fp32.grads(), bf16.grads());
        System.out.printf(
                "bf16 vs fp32 step-1 loss and gradients (BatchNorm on running statistics): loss %.6f vs %.6f (%.2e), %s%n",
                bf16.loss(), fp32.loss(), lossDrift, d);
        assertTrue(d.tensors() > 580, "gradients compared: " + d.tensors());
        assertTrue(lossDrift < LOSS_BOUND, "loss drift " + lossDrift);
        assertTrue(d.cosine() > COSINE_BOUND, "gradient cosine " + d.cosine());
        assertTrue(d.median() < MEDIAN_BOUND, "median per-tensor gradient error " + d.median());
    }

    /** Convolution, training-mode BatchNorm (batch statistics), SiLU: the step-1 block, channels-last as training runs it. */
    @Test
    void trainingModeConvBatchNormSiluKeepsItsGradients() {
        assertTrue(NativeOps.bfloat16Available(), "the bundled libtorch has the bfloat16 operators");
        try (NDManager m = manager.newSubManager()) {
            Engines.seed(1);
            NDArray x = m.randomNormal(new Shape(4, 16, 32, 32));
            NDArray w = m.randomNormal(new Shape(32, 16, 3, 3)).mul(0.1f);
            NDArray upstream = m.randomNormal(new Shape(4, 32, 32, 32));
            Map<String, float[]> grads32 = block(m, x, w, upstream, false), grads16 = block(m, x, w, upstream, true);
            Drift d = Drift.of(grads32, grads16);
            System.out.printf("bf16 vs fp32 conv + training BatchNorm + SiLU: %s%n", d);
            assertTrue(d.cosine() > 0.9999, d.toString());
            assertTrue(d.worst() < 0.02, d.toString());
        }
    }

    private static Map<String, float[]> block(NDManager m, NDArray x0, NDArray w0, NDArray upstream, boolean bf16) {
        boolean grad = Engines.isGradEnabled();
        Engines.setGradEnabled(true);
        try {
            NDArray w = w0.duplicate(), gamma = m.ones(new Shape(32)), beta = m.zeros(new Shape(32));
            for (NDArray p : new NDArray[] {w, gamma, beta}) p.setRequiresGradient(true);
            Map<String, NDArray> params = Map.of(
                    "conv.weight", w,
                    "bn.weight", gamma,
                    "bn.bias", beta,
                    "bn.running_mean", m.zeros(new Shape(32)),
                    "bn.running_var", m.ones(new Shape(32)));
            NDArray x = bf16 ? NativeOps.toBFloat16(Layouts.channelsLast(x0)) : x0;
            NDArray y = new ConvBnSilu(16, 32, 3, 1)
                    .forward(List.of(new NDList(x)), params::get, Mode.TRAIN)
                    .head();
            if (bf16) y = NativeOps.toFloat32(y);
            Engines.backward(y.mul(upstream).sum());
            return Map.of(
                    "conv", w.getGradient().toFloatArray(),
                    "gamma", gamma.getGradient().toFloatArray(),
                    "beta", beta.getGradient().toFloatArray());
        } finally {
            Engines.setGradEnabled(grad);
        }
    }

    // measured: loss 4.2e-5, cosine 0.974, median 0.147 (p95 0.46, worst 1.14, in layers spread over both backbones)
    static final double LOSS_BOUND = 3e-4;
    static final double COSINE_BOUND = 0.9;
    static final double MEDIAN_BOUND = 0.45;

    /** Gradient agreement: overall cosine, and per tensor the max error relative to the tensor's max |float32 value|. */
    record Drift(double cosine, double median, double p95, double worst, int tensors) {
        static Drift of(Map<String, float[]> reference, Map<String, float[]> other) {
            double[] rel = new double[reference.size()];
            double dot = 0, n1 = 0, n2 = 0;
            int k = 0;
            for (var e : reference.entrySet()) {
                float[] a = e.getValue(), b = other.get(e.getKey());
                double max = 0, diff = 0;
                for (int i = 0; i < a.length; i++) {
                    max = Math.max(max, Math.abs(a[i]));
                    diff = Math.max(diff, Math.abs(a[i] - b[i]));
                    dot += (double) a[i] * b[i];
                    n1 += (double) a[i] * a[i];
                    n2 += (double) b[i] * b[i];
                }
                rel[k++] = max == 0 ? diff : diff / max;
            }
            Arrays.sort(rel);
            return new Drift(
                    dot / Math.sqrt(n1 * n2),
                    rel[rel.length / 2],
                    rel[(int) (rel.length * 0.95)],
                    rel[rel.length - 1],
                    rel.length);
        }

        @Override
        public String toString() {
            return String.format(
                    "gradient cosine %.6f, per-tensor error median %.3e, p95 %.3e, max %.3e over %d tensors",
                    cosine, median, p95, worst, tensors);
        }
    }
}
