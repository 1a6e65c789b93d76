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
                    TrainOutput out0 = model.forwardTrain(x);
                    ai.djl.ndarray.NDList h1 = new ai.djl.ndarray.NDList(), h2 = new ai.djl.ndarray.NDList();
                    for (NDArray r0 : out0.head1()) { NDArray lf = r0.stopGradient().duplicate(); lf.setRequiresGradient(true); h1.add(lf); }
                    for (NDArray r0 : out0.head2()) { NDArray lf = r0.stopGradient().duplicate(); lf.setRequiresGradient(true); h2.add(lf); }
                    TrainOutput out = System.getenv("LEAF") != null ? new TrainOutput(h1, h2, null) : out0;
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
                            if (g.isNaN().any().getBoolean() || g.isInfinite().any().getBoolean()) { nanGrads++; System.out.print(e.getKey().replace(".weight","").replace(".bias","") + " "); }
                        }
                    }
                    System.out.println("bad grads: " + nanGrads);
                    for (int hh = 0; hh < 2; hh++) for (int lv = 0; lv < 3; lv++) {
                        NDArray leaf = (hh == 0 ? h1 : h2).get(lv);
                        NDArray g = leaf.getGradient();
                        NDArray bad = g.isNaN().logicalOr(g.isInfinite());
                        System.out.println("head" + (hh + 1) + " level " + lv + " bad grad elements " + bad.toType(ai.djl.ndarray.types.DataType.INT32, false).sum().toType(ai.djl.ndarray.types.DataType.INT32, false).getInt()
                            + " raw nonfinite " + leaf.isNaN().logicalOr(leaf.isInfinite()).toType(ai.djl.ndarray.types.DataType.INT32, false).sum().toType(ai.djl.ndarray.types.DataType.INT32, false).getInt());
                        if (bad.any().getBoolean()) {
                            long[] idx = bad.reshape(-1).nonzero().toLongArray();
                            long no = leaf.getShape().get(4);
                            System.out.println("  first bad flat idx " + idx[0] + " cell " + (idx[0] / no) + " field " + (idx[0] % no) + " raw row " + java.util.Arrays.toString(java.util.Arrays.copyOf(leaf.reshape(-1, no).get(idx[0] / no).toFloatArray(), 6)));
                        }
                    }
                    for (var lm : r.head1Matches()) for (int q = 0; q < lm.size(); q++) if (lm.target()[q][4] <= 0.001f || lm.target()[q][5] <= 0.001f) System.out.println("tiny target " + java.util.Arrays.toString(lm.target()[q]));
                    for (var e : model.stateDict().entrySet()) {
                        if (e.getValue().isNaN().any().getBoolean()) System.out.println("NaN param " + e.getKey());
                    }
                }
                if (++k == 6) break;
            }
        }
    }
}
