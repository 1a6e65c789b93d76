package io.dydet.train;

import ai.djl.ndarray.NDArray;
import io.dydet.data.train.TrainBatch;
import io.dydet.model.TrainOutput;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** The detection loss of step 1 and of route 2 alone: the two differ only in the forward and which heads the loss counts. */
final class CascadeStepLoss implements StepLoss {
    interface Loss {
        CascadeLoss.Result compute(CascadeLoss loss, TrainOutput out, float[][] targets, int imageHeight);
    }

    private final Trainer trainer;
    private final CascadeLoss cascade;
    private final Function<NDArray, TrainOutput> forward;
    private final Loss loss;

    CascadeStepLoss(Trainer trainer, CascadeLoss cascade, Function<NDArray, TrainOutput> forward, Loss loss) {
        this.trainer = trainer;
        this.cascade = cascade;
        this.forward = forward;
        this.loss = loss;
    }

    @Override
    public Map<String, Double> step(NDArray x, TrainBatch b) {
        CascadeLoss.Result r = loss.compute(
                cascade, forward.apply(x), b.targets(), trainer.args().img());
        if (!Float.isFinite(r.sum())) throw new IllegalStateException(trainer.nonFinite(b, r.sum()));
        io.dydet.engine.Engines.backward(r.total());
        Map<String, Double> items = new LinkedHashMap<>();
        items.put("box", (double) r.box());
        items.put("obj", (double) r.obj());
        items.put("cls", (double) r.cls());
        items.put("total", (double) r.sum());
        return items;
    }
}
