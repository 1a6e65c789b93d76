package io.dydet.engine.check;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.dydet.engine.Engines;

/** A process that starts the engine as every entry point does, then runs one convolution (for EngineCheckTest). */
public final class AppliedSettingMain {
    public static void main(String[] args) {
        Engines.start(0);
        System.out.println("chosen-setting "
                + (Engines.checkReport() == null
                        ? "unchecked"
                        : Engines.checkReport().torchSetting()));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(2, 32, 24, 24));
            NDArray w = m.randomNormal(new Shape(64, 32, 3, 3));
            Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1)
                    .singletonOrThrow()
                    .sum()
                    .getFloat();
        }
        ConvProbe.exitNow(0);
    }
}
