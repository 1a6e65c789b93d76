package io.dydet.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.data.DataConfig;
import io.dydet.data.Hyperparameters;
import io.dydet.data.train.TrainBatch;
import io.dydet.data.train.TrainLoader;
import io.dydet.data.train.TrainingSet;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.TrainOutput;
import io.dydet.train.CascadeLoss;
import io.dydet.train.Trainables;
import java.nio.file.Path;

/** Diagnostics: time of data loading, forward, loss and backward of a training step. Args: data.yaml img batch. */
public final class TrainProfileMain {
    public static void main(String[] a) throws Exception {
        Engines.start(0);
        io.dydet.data.Images.loadOpenCv();
        if (System.getenv("CVT") != null) org.opencv.core.Core.setNumThreads(Integer.parseInt(System.getenv("CVT")));
        DataConfig dc = DataConfig.load(Path.of(a[0]));
        int img = Integer.parseInt(a[1]), bs = Integer.parseInt(a[2]);
        TrainingSet set = TrainingSet.open(dc.images("train"), dc.nc(), null);
        Hyperparameters hyp = System.getenv("HYP") != null ? Hyperparameters.load(System.getenv("HYP")) : Hyperparameters.scratchP5();
        long t0 = System.nanoTime();
        int n = 0;
        try (TrainLoader l = new TrainLoader(set, hyp, img, bs, 2, 0, true, false)) {
            for (TrainBatch b : l.epoch(0, 0)) n += b.size();
        }
        System.out.printf("loader: %d images in %.2f s%n", n, (System.nanoTime() - t0) / 1e9);
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
                TrainLoader l = new TrainLoader(set, hyp, img, bs, 2, 0, true, false)) {
            Network net = Network.build(ModelSpec.builtIn("dy-yolov7-step1").withWidth(0.25));
            DynamicDetModel model = DynamicDetModel.initialized(net, root.newSubManager(), 0);
            Trainables.requireGradients(model);
            CascadeLoss loss = new CascadeLoss(model, hyp.scaledForTraining(3, 80, img));
            Engines.setGradEnabled(true);
            int k = 0;
            for (TrainBatch b : l.epoch(0, 0)) {
                try (NDManager m = root.newSubManager()) {
                    long s0 = System.nanoTime();
                    NDArray x = b.images(m);
                    TrainOutput out = model.forwardTrain(x);
                    long s1 = System.nanoTime();
                    CascadeLoss.Result r = loss.compute(out, b.targets(), img);
                    long s2 = System.nanoTime();
                    Engines.backward(r.total());
                    long s3 = System.nanoTime();
                    System.out.printf("forward %.0f ms, loss %.0f ms, backward %.0f ms, loss %.4f%n", (s1 - s0) / 1e6, (s2 - s1) / 1e6, (s3 - s2) / 1e6, r.total().getFloat(0));
                    int nanGrads = 0;
                    for (var e : model.stateDict().entrySet()) {
                        if (!e.getValue().hasGradient()) continue;
                        try (NDArray g = e.getValue().getGradient()) {
                            if (g.isNaN().any().getBoolean() || g.isInfinite().any().getBoolean()) { nanGrads++; if (nanGrads < 5) System.out.println("bad grad " + e.getKey()); }
                        }
                    }
                    System.out.println("bad grads: " + nanGrads);
                    for (var e : model.stateDict().entrySet()) {
                        if (e.getValue().isNaN().any().getBoolean()) System.out.println("NaN param " + e.getKey());
                    }
                    java.util.List<io.dydet.train.ParameterGroups.Group> groups = io.dydet.train.ParameterGroups.detector(model);
                    try (io.dydet.train.Optimizer opt = new io.dydet.train.Optimizer(io.dydet.train.Optimizer.Kind.SGD, groups, 0.8, root)) {
                        opt.setLr(0, 0); opt.setLr(1, 0); opt.setLr(2, 0.1); opt.setWeightDecay(0.0005);
                        opt.step(); opt.zeroGrad();
                    }
                }
                if (++k == 6) break;
            }
        }
    }
}
