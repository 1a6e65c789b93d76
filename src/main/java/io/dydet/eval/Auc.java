package io.dydet.eval;

/**
 * The area under the ROC curve of a score that should rank one group above another: the probability that a random
 * member of {@code above} scores higher than a random member of {@code below}, ties counting half (0.5: the score
 * cannot tell the groups apart; 1: it always ranks them right).
 */
public final class Auc {
    private Auc() {}

    /** NaN when either group is empty. */
    public static double of(double[] above, double[] below) {
        if (above.length == 0 || below.length == 0) return Double.NaN;
        double wins = 0;
        for (double a : above) for (double b : below) wins += a > b ? 1 : a == b ? 0.5 : 0;
        return wins / ((double) above.length * below.length);
    }
}
