package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.dydet.data.Hyperparameters;
import io.dydet.engine.Scalars;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.Section;
import io.dydet.model.TrainOutput;
import io.dydet.nn.IDetect;
import java.util.List;

/**
 * Step-1 loss of the cascaded detector (the original's ComputeLossOTADual, design.md, Training step 1): the OTA loss of each head,
 * both assigned with the second head's anchors, summed term by term, times the batch size. Also gives each head's
 * loss alone, which the router's exit criterion (step 2) needs.
 */
public final class CascadeLoss {
    /**
     * A computed loss: {@code total} (shape (1)) is what to differentiate (already times batch size); the items are
     * per-image values for logging: box, obj, cls and their sum.
     */
    public record Result(
            NDArray total,
            float box,
            float obj,
            float cls,
            float sum,
            List<LevelMatches> head1Matches,
            List<LevelMatches> head2Matches) {
        public float[] items() {
            return new float[] {box, obj, cls, sum};
        }
    }

    private final OtaAssigner assigner;
    private final HeadLoss headLoss;

    /**
     * @param hyp hyper-parameters whose gains are already scaled for the training run
     *            ({@link Hyperparameters#scaledForTraining})
     */
    public CascadeLoss(DynamicDetModel model, Hyperparameters hyp) {
        IDetect det = model.network().detect(Section.D2);
        String anchorsKey = model.network().detectNode(Section.D2).prefix() + "anchors";
        float[] flat = model.stateDict().get(anchorsKey).toFloatArray();
        int nl = det.levels(), na = det.na();
        float[][][] anchors = new float[nl][na][2];
        for (int i = 0; i < nl; i++)
            for (int a = 0; a < na; a++)
                anchors[i][a] = new float[] {flat[(i * na + a) * 2], flat[(i * na + a) * 2 + 1]};
        int[] strides = det.strides().stream().mapToInt(Integer::intValue).toArray();
        this.assigner = new OtaAssigner(anchors, strides, hyp.anchorT(), det.nc());
        this.headLoss = new HeadLoss(hyp, det.nc(), nl);
    }

    /**
     * @param targets rows (image index in batch, class, cx, cy, w, h), normalised
     * @param imageHeight height of the (square) training images
     */
    public Result compute(TrainOutput out, float[][] targets, int imageHeight) {
        // the original builds head 2's assignment first; the order does not change the result
        List<LevelMatches> m2 = assigner.assign(out.head2(), targets, imageHeight);
        List<LevelMatches> m1 = assigner.assign(out.head1(), targets, imageHeight);
        HeadLoss.Terms t1 = headLoss.compute(out.head1(), m1);
        HeadLoss.Terms t2 = headLoss.compute(out.head2(), m2);
        HeadLoss.Terms both = new HeadLoss.Terms(
                t1.box().add(t2.box()), t1.obj().add(t2.obj()), t1.cls().add(t2.cls()));
        return result(both, out.head1().get(0).getShape().get(0), m1, m2);
    }

    /** Route 2's loss alone (route-2 training with route 1 frozen), in the same form as {@link #compute}. */
    public Result computeRoute2(TrainOutput out, float[][] targets, int imageHeight) {
        List<LevelMatches> m2 = assigner.assign(out.head2(), targets, imageHeight);
        return result(
                headLoss.compute(out.head2(), m2), out.head2().get(0).getShape().get(0), List.of(), m2);
    }

    /** The training loss is the per-image sum times the batch size, as the original's. */
    private static Result result(HeadLoss.Terms terms, long batch, List<LevelMatches> m1, List<LevelMatches> m2) {
        NDArray perImage = terms.sum();
        NDArray total = Scalars.mul(perImage, batch).reshape(1);
        return new Result(
                total,
                terms.box().getFloat(),
                terms.obj().getFloat(),
                terms.cls().getFloat(),
                perImage.getFloat(),
                m1,
                m2);
    }

    /** Each head's loss alone (per image, gains applied): the router's L1 and L2. */
    HeadLoss.Terms[] perHead(NDList head1, NDList head2, float[][] targets, int imageHeight) {
        HeadLoss.Terms t1 = headLoss.compute(head1, assigner.assign(head1, targets, imageHeight));
        HeadLoss.Terms t2 = headLoss.compute(head2, assigner.assign(head2, targets, imageHeight));
        return new HeadLoss.Terms[] {t1, t2};
    }
}
