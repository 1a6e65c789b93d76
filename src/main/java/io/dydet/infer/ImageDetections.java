package io.dydet.infer;

import io.dydet.model.Route;
import java.util.List;

/**
 * The result for one image: its detections (descending confidence), the router's easiness score, the route it
 * took and the GFLOPs that route cost at its letterboxed size. A file that could not be read has an error and no
 * detections.
 *
 * @param source the file name or a caller-given label
 * @param routing the router's score, the route taken and its cost
 */
public record ImageDetections(
        String source,
        int width,
        int height,
        List<Detection> detections,
        Routing routing,
        Timings timings,
        String error) {
    /**
     * How an image was routed.
     *
     * @param routerScore NaN for a model without router (always route 2)
     * @param route       null for a file that could not be read
     * @param gflops      the route's GFLOPs at the image's letterboxed size
     */
    public record Routing(float routerScore, Route route, double gflops) {}

    public ImageDetections {
        detections = List.copyOf(detections);
    }

    public static ImageDetections failed(String source, String error) {
        return new ImageDetections(
                source, 0, 0, List.of(), new Routing(Float.NaN, null, 0), new Timings(0, 0, 0), error);
    }

    public float routerScore() {
        return routing.routerScore();
    }

    public Route route() {
        return routing.route();
    }

    public double gflops() {
        return routing.gflops();
    }

    public boolean ok() {
        return error == null;
    }
}
