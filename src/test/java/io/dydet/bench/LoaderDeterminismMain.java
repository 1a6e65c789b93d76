package io.dydet.bench;

import io.dydet.data.DataConfig;
import io.dydet.data.Hyperparameters;
import io.dydet.data.train.TrainBatch;
import io.dydet.data.train.TrainLoader;
import io.dydet.data.train.TrainingSet;
import java.nio.file.Path;
import java.util.Arrays;

/** Diagnostics: checksums of every batch of three epochs. Args: data.yaml hyp img batch workers. */
public final class LoaderDeterminismMain {
    public static void main(String[] a) throws Exception {
        io.dydet.data.Images.loadOpenCv();
        DataConfig dc = DataConfig.load(Path.of(a[0]));
        TrainingSet set = TrainingSet.open(dc.images("train"), dc.nc(), null);
        Hyperparameters hyp = Hyperparameters.load(a[1]);
        try (TrainLoader l = new TrainLoader(set, hyp, Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]), 0, true, false)) {
            for (int e = 0; e < 3; e++) {
                for (TrainBatch b : l.epoch(e, 0)) {
                    byte[] px = new byte[b.pixels().remaining()];
                    b.pixels().duplicate().get(px);
                    System.out.println("epoch " + e + " batch " + b.index() + " pixels " + Arrays.hashCode(px) + " targets " + Arrays.deepHashCode(b.targets()));
                    Thread.sleep(300);
                }
            }
        }
    }
}
