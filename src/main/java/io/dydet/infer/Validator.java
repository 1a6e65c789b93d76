package io.dydet.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.box.Box;
import io.dydet.box.Letterbox;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import io.dydet.engine.Engines;
import io.dydet.eval.CocoDetection;
import io.dydet.eval.NmsOptions;
import io.dydet.model.Route;
import io.dydet.model.RoutedModel;
import io.dydet.model.RoutedOutput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.opencv.core.Mat;

/**
 * Runs a model over a validation set with the original's test path: {@link RectStage} preprocessing, batches of equal
 * rect shape ({@link ShapeBatcher}, so results equal batch-1 evaluation at any batch size), multi-label NMS and boxes
 * mapped back with the load ratio and pad ({@link Postprocess#coco}).
 */
public final class Validator {
    /** Settings of one run; {@code bothRoutes} runs every image through both routes (for threshold sweeps). */
    public record Options(
            int imageSize, float routerThreshold, NmsOptions nms, int batch, long pixelLimit, boolean bothRoutes) {
        public Options(int imageSize, float routerThreshold, NmsOptions nms, int batch, long pixelLimit) {
            this(imageSize, routerThreshold, nms, batch, pixelLimit, false);
        }
    }

    /** For sweeps: an image's detections and model time on each route. */
    public record RouteResult(List<CocoDetection> detections, double modelMs, double gflops) {}

    /** Which image a result is for: its file, COCO id, original size and the letterbox it was fed through (null when unreadable). */
    public record ImageRef(Path file, long imageId, int height, int width, Letterbox letterbox) {}

    /**
     * One evaluated image: which image, its router score and route, detections as COCO rows, model time, the error
     * when it could not be read, and with a sweep each route's result. The image's fields are also read directly.
     */
    public record ImageResult(
            ImageRef image,
            float routerScore,
            Route route,
            List<CocoDetection> detections,
            double modelMs,
            String error,
            Map<Route, RouteResult> perRoute) {
        public ImageResult(
                ImageRef image,
                float routerScore,
                Route route,
                List<CocoDetection> detections,
                double modelMs,
                String error) {
            this(image, routerScore, route, detections, modelMs, error, Map.of());
        }

        public Path file() {
            return image.file();
        }

        public long imageId() {
            return image.imageId();
        }

        public int height() {
            return image.height();
        }

        public int width() {
            return image.width();
        }

        public Letterbox letterbox() {
            return image.letterbox();
        }

        /** The same result with another router score (a sweep's random router). */
        public ImageResult withRouterScore(float score) {
            return new ImageResult(image, score, route, detections, modelMs, error, perRoute);
        }
    }

    private Validator() {}

    /**
     * @param categoryIds maps a model class id to the COCO category id written in the results (identity if null)
     * @param progress called with (images done, total): (0, total) first, when the work starts
     */
    public static List<ImageResult> run(
            RoutedModel model, List<Path> images, Options o, int[] categoryIds, BiConsumer<Integer, Integer> progress) {
        if (progress != null) progress.accept(0, images.size());
        Engines.setGradEnabled(false);
        RectStage rect = new RectStage(o.imageSize(), model.network().maxStride());
        // every image's rect shape first (cheap, from the header), then the batches of equal shape in file order
        List<ImageResult> out = new ArrayList<>(java.util.Collections.nCopies(images.size(), (ImageResult) null));
        int[][] shapes = new int[images.size()][];
        for (int i = 0; i < images.size(); i++) {
            int[] hw = Images.headerDims(images.get(i));
            if (hw == null) {
                // header not readable by ImageIO: decode to learn the size
                try {
                    Mat m = Images.read(images.get(i), o.pixelLimit());
                    hw = new int[] {m.rows(), m.cols()};
                    m.release();
                } catch (ImageException e) {
                    out.set(i, failed(images.get(i), e.getMessage()));
                    continue;
                }
            }
            shapes[i] = rect.paddedShape(hw[0], hw[1]);
        }
        int done = 0;
        for (List<Integer> batch : ShapeBatcher.plan(shapes, o.batch())) {
            runBatch(model, rect, images, batch, o, categoryIds, out);
            done += batch.size();
            if (progress != null) progress.accept(done, images.size());
        }
        return out;
    }

    /**
     * Sweep mode: router scores, then each route once for the whole batch; the image's own result is the one of the
     * route its score picks at the run's threshold (no third forward).
     */
    private static void runBothRoutes(
            RoutedModel model,
            NDArray input,
            List<Integer> ok,
            List<Preprocess.Prepared> prepared,
            List<Path> images,
            Options o,
            int[] categoryIds,
            List<ImageResult> out) {
        float[] scores = new float[ok.size()];
        if (model.network().isDynamic()) scores = model.easiness(input);
        else java.util.Arrays.fill(scores, Float.NaN);
        Map<Route, NDArray> decoded = new java.util.EnumMap<>(Route.class);
        Map<Route, Double> ms = new java.util.EnumMap<>(Route.class);
        for (Route r : Route.values()) {
            long s0 = System.nanoTime();
            decoded.put(r, model.decode(input, r));
            ms.put(r, (System.nanoTime() - s0) / 1e6 / ok.size());
        }
        for (int k = 0; k < ok.size(); k++) {
            int i = ok.get(k);
            Preprocess.Prepared p = prepared.get(k);
            Letterbox lb = p.letterbox();
            Map<Route, RouteResult> perRoute = new java.util.EnumMap<>(Route.class);
            for (Route r : Route.values()) {
                perRoute.put(
                        r,
                        new RouteResult(
                                coco(decoded.get(r).get(k), o, p, images.get(i), categoryIds),
                                ms.get(r),
                                model.network().gflops(r, lb.paddedHeight(), lb.paddedWidth())));
            }
            Route route = Float.isNaN(scores[k]) ? Route.ROUTE2 : Route.choose(scores[k], o.routerThreshold());
            RouteResult taken = perRoute.get(route);
            out.set(
                    i,
                    new ImageResult(
                            new ImageRef(images.get(i), imageId(images.get(i)), p.height(), p.width(), lb),
                            scores[k],
                            route,
                            taken.detections(),
                            taken.modelMs(),
                            null,
                            perRoute));
        }
    }

    private static ImageResult failed(Path f, String error) {
        return new ImageResult(new ImageRef(f, imageId(f), 0, 0, null), Float.NaN, null, List.of(), 0, error);
    }

    /** COCO's convention: the numeric file stem, else a stable hash of the name. */
    public static long imageId(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        String stem = dot > 0 ? n.substring(0, dot) : n;
        try {
            return Long.parseLong(stem);
        } catch (NumberFormatException e) {
            return stem.hashCode() & 0x7fffffffL;
        }
    }

    private static void runBatch(
            RoutedModel model,
            RectStage rect,
            List<Path> images,
            List<Integer> batch,
            Options o,
            int[] categoryIds,
            List<ImageResult> out) {
        List<Preprocess.Prepared> prepared = new ArrayList<>();
        List<Mat> padded = new ArrayList<>();
        List<Integer> ok = new ArrayList<>();
        for (int i : batch) {
            Path f = images.get(i);
            try {
                Preprocess.Prepared p = rect.read(f, o.pixelLimit());
                prepared.add(p);
                padded.add(p.padded());
                ok.add(i);
            } catch (ImageException e) {
                out.set(i, failed(f, e.getMessage()));
            }
        }
        if (ok.isEmpty()) return;
        try (NDManager pass = NDManager.newBaseManager(model.device())) {
            NDArray input = Images.toInput(pass, padded);
            if (o.bothRoutes()) {
                runBothRoutes(model, input, ok, prepared, images, o, categoryIds, out);
                return;
            }
            long t0 = System.nanoTime();
            RoutedOutput routed = model.forward(input, o.routerThreshold());
            double ms = (System.nanoTime() - t0) / 1e6 / ok.size();
            for (int k = 0; k < ok.size(); k++) {
                int i = ok.get(k);
                Preprocess.Prepared p = prepared.get(k);
                List<CocoDetection> dets = coco(routed.decoded().get(k), o, p, images.get(i), categoryIds);
                out.set(
                        i,
                        new ImageResult(
                                new ImageRef(
                                        images.get(i), imageId(images.get(i)), p.height(), p.width(), p.letterbox()),
                                routed.scores()[k],
                                routed.routes().get(k),
                                dets,
                                ms,
                                null));
            }
        } finally {
            for (Mat m : padded) m.release();
        }
    }

    private static List<CocoDetection> coco(
            NDArray decoded, Options o, Preprocess.Prepared p, Path file, int[] categoryIds) {
        return Postprocess.coco(
                decoded, o.nms(), p.letterbox(), p.height(), p.width(), o.imageSize(), imageId(file), categoryIds);
    }

    /** The Box of a COCO row (for drawing and tests). */
    public static Box box(CocoDetection d) {
        return new Box((float) d.x(), (float) d.y(), (float) (d.x() + d.width()), (float) (d.y() + d.height()));
    }
}
