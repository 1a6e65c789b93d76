package io.dydet.model;

/**
 * The two routes of a DynamicDet model, numbered as in the DynamicDet paper (Overall architecture): {@link #ROUTE1}
 * runs the first backbone and the first head; {@link #ROUTE2} runs the first backbone, the composite connections,
 * the second backbone and the second head. The router sends an image to route 1 iff its easiness score is at least
 * the threshold (design.md, Routing). Outputs spell a route by its {@link #number()}.
 */
public enum Route {
    ROUTE1(1),
    ROUTE2(2);

    private final int number;

    Route(int number) {
        this.number = number;
    }

    /** 1 or 2, as the paper numbers the routes. */
    public int number() {
        return number;
    }

    /** The route the router chooses: route 1 iff score >= threshold (compared in float32, as the original). */
    public static Route choose(float score, float threshold) {
        return score >= threshold ? ROUTE1 : ROUTE2;
    }
}
