package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.dydet.data.Hyperparameters;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.TrainOutput;
import org.junit.jupiter.api.Test;

/** The pieces together on a real dy-yolov7 (width 0.25) model: groups, schedule, SGD-Nesterov, EMA. */
class TrainStepTest {
    @Test
    void stepsUpdateTheModelInPlaceWithoutLeaking() {
        Engines.start(1);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel model = DynamicDetModel.initialized(
                    Network.build(ModelSpec.builtIn("dy-yolov7-step1").withWidth(0.25)), m, 5);
            ParameterGroups groups = ParameterGroups.of(model);
            groups.requireGradients(model);
            Schedule schedule =
                    Schedule.of(Hyperparameters.scratchP5(), 3, 4, 16, false).withMinWarmupIterations(4);
            NDArray kernel = model.stateDict().get("model_b.0.conv.weight");
            float[] before = kernel.toFloatArray();
            long stepNanos = 0;
            int steps = 0;
            try (Optimizer opt = Optimizers.sgd(groups, 0.01, 0.937, schedule.weightDecay(), true);
                    Ema ema = Ema.of(model)) {
                opt.zeroGrad();
                int arraysAfterFirst = -1;
                long last = Schedule.NO_STEP_YET;
                for (long ni = 0; ni < 6; ni++) {
                    int epoch = (int) (ni / schedule.batchesPerEpoch());
                    schedule.apply(opt, ni, epoch);
                    try (NDManager batch = m.newSubManager()) {
                        NDArray x = batch.randomUniform(0f, 1f, new Shape(1, 3, 64, 64));
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            TrainOutput out = model.forwardTrain(x);
                            NDArray loss = batch.zeros(new Shape());
                            for (NDArray level : out.head1())
                                loss = loss.add(level.square().mean());
                            for (NDArray level : out.head2())
                                loss = loss.add(level.square().mean());
                            gc.backward(loss);
                        }
                    }
                    if (Schedule.stepsAt(ni, last, 1)) {
                        long t0 = System.nanoTime();
                        opt.step();
                        opt.zeroGrad();
                        ema.update(model);
                        stepNanos += System.nanoTime() - t0;
                        steps++;
                        last = ni;
                    }
                    if (ni == 0) arraysAfterFirst = m.getManagedArrays().size();
                }
                assertEquals(
                        arraysAfterFirst,
                        m.getManagedArrays().size(),
                        "arrays left on the model's manager by training steps");
                assertEquals(6, opt.stepCount());
                assertEquals(6, ema.updates());
                assertFalse(
                        java.util.Arrays.equals(before, kernel.toFloatArray()), "the model's own kernel was updated");
                assertEquals(
                        groups.parameters().size(), opt.stateTensors().size(), "one momentum buffer per parameter");
            }
            // optimizer step + zeroGrad + EMA update over 586 trainable and 1500+ state tensors: about 60-80 ms on 1
            // thread here; with 2 intra-op
            // threads on 2 busy shared cores it went up to seconds (thousands of tiny ops, OpenMP waits)
            assertTrue(stepNanos / steps < 2_000_000_000L, "step took " + stepNanos / steps / 1e6 + " ms");
        }
    }
}
