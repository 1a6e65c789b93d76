package io.dydet.infer;

import io.dydet.model.Route;
import java.util.List;

/**
 * The result for one image: its detections (descending confidence), the router's easiness score, the route it
 * took and the GFLOPs that route cost at its letterboxed size. A file that could not be read has an error and no
 * detections.
 *
 * @param source the file name or a caller-given label
 * @param routerScore NaN for a model without router (always route 2)
 */
public record ImageDetections(String source, int width, int height, List<Detection> detections, float routerScore,
                              Route route, double gflops, Timings timings, String error) {
    public ImageDetections {
        detections = List.copyOf(detections);
    }

    public static ImageDetections failed(String source, String error) {
        return new ImageDetections(source, 0, 0, List.of(), Float.NaN, null, 0, new Timings(0, 0, 0), error);
    }

    public boolean ok() {
        return error == null;
    }
}
