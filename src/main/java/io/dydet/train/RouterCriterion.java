package io.dydet.train;

/** Step 2's exit criterion: what the router learns to predict for each image. Spelled as on the command line and in args.yaml. */
public enum RouterCriterion {
    /** The original's: each image's detection loss gap L1 - L2 ({@link RouterLoss}). */
    LOSS(RouterLoss.CRITERION),
    /** Each image's contribution to the set's AP when it moves to route 2 ({@link ApCriterion}). */
    AP(ApCriterion.CRITERION);

    private final String id;

    RouterCriterion(String id) {
        this.id = id;
    }

    /** The spelling of the command line and args.yaml. */
    public String id() {
        return id;
    }

    /** {@code loss} or {@code ap}; null stays null (the original's loss criterion). */
    public static RouterCriterion parse(String id) {
        if (id == null) return null;
        for (RouterCriterion c : values()) if (c.id.equals(id)) return c;
        throw new IllegalArgumentException("--criterion must be " + LOSS.id + " or " + AP.id + ", got '" + id + "'");
    }

    @Override
    public String toString() {
        return id;
    }
}
