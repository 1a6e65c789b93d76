package io.dydet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.dydet.data.Hyperparameters;
import io.dydet.engine.Scalars;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.TrainOutput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The router's loss-based exit criterion (the original's ComputeLossOTADy, design.md, Training step 2). Per image: the detached
 * detection losses L1 (route 1's head) and L2 (route 2's head); the offset Delta is the median of every L1 - L2 seen
 * so far (recomputed each image for the first 10,000, then every 1,000th); the loss is
 * s (L1 - Delta/2) + (1 - s)(L2 + Delta/2) with s the easiness score, so images gaining more than Delta from the
 * second backbone are pushed to route 2 and the others to route 1.
 *
 * <p>Batches: each image is one call of the original (batch 1), in batch order, so a batch of B gives the same
 * per-image losses and summed gradients as B calls at batch 1. The history is state that a resumed run restores.
 */
public final class RouterLoss {
    /** One image's values: the two routes' losses, their gap, the offset in force, the score and the router loss. */
    public record ImageLoss(
            float route1Loss, float route2Loss, float gap, double offset, float score, float routerLoss) {}

    /** {@code total} (shape (1)) sums the images' router losses; it is what to differentiate. */
    public record Result(NDArray total, List<ImageLoss> images) {}

    /** The criterion's name (train-router --criterion). */
    public static final String CRITERION = "loss";

    static final int EXACT_UNTIL = 10_000;
    static final int REFRESH_EVERY = 1_000;

    private final CascadeLoss detection;
    private double[] sortedGaps = new double[1024];
    private int seen;
    private double offset;

    public RouterLoss(DynamicDetModel model, Hyperparameters hyp) {
        this.detection = new CascadeLoss(model, hyp);
    }

    /**
     * @param out     a {@link DynamicDetModel#forwardFrozen} output
     * @param targets rows (image index in batch, class, cx, cy, w, h), normalised
     */
    public Result compute(TrainOutput out, float[][] targets, int imageHeight) {
        int bs = (int) out.head1().get(0).getShape().get(0);
        NDManager m = out.score().getManager();
        NDArray total = m.zeros(new Shape(1));
        List<ImageLoss> images = new ArrayList<>(bs);
        for (int b = 0; b < bs; b++) {
            final int image = b;
            float[][] own = Arrays.stream(targets)
                    .filter(t -> (int) t[0] == image)
                    .map(t -> {
                        float[] c = t.clone();
                        c[0] = 0;
                        return c;
                    })
                    .toArray(float[][]::new);
            String row = b + ":" + (b + 1);
            HeadLoss.Terms[] terms =
                    detection.perHead(slice(out.head1(), row), slice(out.head2(), row), own, imageHeight);
            float l1, l2;
            try (NDArray a = terms[0].sum();
                    NDArray c = terms[1].sum()) {
                l1 = a.getFloat();
                l2 = c.getFloat();
            }
            float gap = l1 - l2;
            record(gap);
            float adj1 = (float) (l1 - offset / 2), adj2 = (float) (l2 + offset / 2);
            NDArray s = out.score().get(row + ", 0");
            // s * L1' + (1 - s) * L2' with the losses as constants: only the router learns
            NDArray loss = Scalars.mul(s, adj1 - adj2).add(adj2);
            total = total.add(loss);
            images.add(new ImageLoss(l1, l2, gap, offset, s.getFloat(0), loss.getFloat(0)));
        }
        return new Result(total, images);
    }

    private static NDList slice(NDList levels, String rows) {
        NDList out = new NDList(levels.size());
        for (NDArray l : levels) out.add(l.get(rows));
        return out;
    }

    /** Adds one image's gap and refreshes the offset by the original's schedule. */
    void record(double gap) {
        if (seen == sortedGaps.length) sortedGaps = Arrays.copyOf(sortedGaps, seen * 2);
        int at = Arrays.binarySearch(sortedGaps, 0, seen, gap);
        if (at < 0) at = -at - 1;
        System.arraycopy(sortedGaps, at, sortedGaps, at + 1, seen - at);
        sortedGaps[at] = gap;
        seen++;
        if (seen < EXACT_UNTIL || seen % REFRESH_EVERY == 0) offset = median();
    }

    private double median() {
        int mid = seen / 2;
        return seen % 2 == 1 ? sortedGaps[mid] : (sortedGaps[mid - 1] + sortedGaps[mid]) / 2;
    }

    /** The offset Delta now in force. */
    public double offset() {
        return offset;
    }

    /** How many images the history holds. */
    public int imagesSeen() {
        return seen;
    }

    /** The history (sorted gaps) and the offset in force, for a checkpoint. */
    public double[] state() {
        double[] s = Arrays.copyOf(sortedGaps, seen + 1);
        s[seen] = offset;
        return s;
    }

    /** Restores {@link #state()}. */
    public void restore(double[] state) {
        if (state.length < 1) throw new IllegalArgumentException("router loss state is empty");
        seen = state.length - 1;
        sortedGaps = Arrays.copyOf(state, Math.max(1024, seen * 2));
        offset = state[seen];
    }
}
