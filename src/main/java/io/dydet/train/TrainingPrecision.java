package io.dydet.train;

import ai.djl.Device;
import io.dydet.engine.Engines;
import io.dydet.engine.check.CheckMode;
import io.dydet.model.Precision;

/** Which training precisions this machine runs right. */
public final class TrainingPrecision {
    private TrainingPrecision() {}

    /**
     * Refuses a training precision this machine cannot run right (the engine check's verdicts unless forced): fp32
     * needs torch's training convolutions right; bf16 also needs the bfloat16 operators, bfloat16 training convolutions right and,
     * on a CPU, bfloat16 instructions (AVX512-BF16 or AMX-BF16), without which oneDNN emulates them slowly.
     */
    public static void require(Precision precision, Device device) {
        String what = "training in " + precision.cliName();
        if (precision == Precision.BFLOAT16 && !device.isGpu()) {
            Engines.requireBFloat16(what);
            Engines.requireTorchCorrect(CheckMode.BF16_TRAINING, what);
        }
        if (!device.isGpu()) Engines.requireTorchCorrect(CheckMode.TRAINING, what);
    }
}
