package io.dydet.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.box.Box;
import io.dydet.box.Letterbox;
import io.dydet.data.ImageException;
import io.dydet.data.Images;
import io.dydet.engine.Engines;
import io.dydet.eval.CocoDetection;
import io.dydet.eval.Nms;
import io.dydet.eval.NmsOptions;
import io.dydet.model.RoutedModel;
import io.dydet.model.Route;
import io.dydet.model.RoutedOutput;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.opencv.core.CvException;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Runs a model over a validation set with the original's test path (design.md, Letterboxing, NMS and Evaluation): the long side resized to the
 * image size (INTER_AREA when shrinking), a rect shape per image (ceil(shape * size / stride + 0.5) * stride),
 * letterbox without upscaling, multi-label NMS, boxes mapped back with the load ratio and pad, and COCO result rows
 * rounded as test.py writes them. Images batch only with images of the same letterboxed shape, so results equal
 * batch-1 evaluation at any batch size.
 */
public final class Validator {
    /** The original's pad of the rect evaluation shapes. */
    public static final double RECT_PAD = 0.5;

    /** Settings of one run; {@code bothRoutes} runs every image through both routes (for threshold sweeps). */
    public record Options(int imageSize, float routerThreshold, NmsOptions nms, int batch, long pixelLimit, boolean bothRoutes) {
        public Options(int imageSize, float routerThreshold, NmsOptions nms, int batch, long pixelLimit) {
            this(imageSize, routerThreshold, nms, batch, pixelLimit, false);
        }
    }

    /** For sweeps: an image's detections and model time on each route. */
    public record RouteResult(List<CocoDetection> detections, double modelMs, double gflops) {}

    /** One evaluated image: its id, sizes, letterbox, router score, route, detections as COCO rows, timings. */
    public record ImageResult(Path file, long imageId, int height, int width, Letterbox letterbox, float routerScore, Route route,
                              List<CocoDetection> detections, double modelMs, String error, Map<Route, RouteResult> perRoute) {
        public ImageResult(Path file, long imageId, int height, int width, Letterbox letterbox, float routerScore, Route route,
                           List<CocoDetection> detections, double modelMs, String error) {
            this(file, imageId, height, width, letterbox, routerScore, route, detections, modelMs, error, Map.of());
        }
    }

    private Validator() {}

    /**
     * @param categoryIds maps a model class id to the COCO category id written in the results (identity if null)
     * @param progress called with (images done, total): (0, total) first, when the work starts
     */
    public static List<ImageResult> run(RoutedModel model, List<Path> images, Options o, int[] categoryIds,
                                        BiConsumer<Integer, Integer> progress) {
        if (progress != null) progress.accept(0, images.size());
        Engines.setGradEnabled(false);
        int stride = model.network().maxStride();
        // prepare every image's rect shape first (cheap), then run groups of equal shape in file order
        List<ImageResult> out = new ArrayList<>(java.util.Collections.nCopies(images.size(), (ImageResult) null));
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        int[][] dims = new int[images.size()][];
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
            dims[i] = hw;
            int[] shape = Letterbox.evalShape(hw[0], hw[1], o.imageSize(), stride, RECT_PAD);
            groups.computeIfAbsent(shape[0] + "x" + shape[1], k -> new ArrayList<>()).add(i);
        }
        int[] done = {0};
        for (List<Integer> group : groups.values()) {
            for (int from = 0; from < group.size(); from += o.batch()) {
                List<Integer> batch = group.subList(from, Math.min(group.size(), from + o.batch()));
                runBatch(model, images, batch, o, stride, categoryIds, out);
                done[0] += batch.size();
                if (progress != null) progress.accept(done[0], images.size());
            }
        }
        return out;
    }

    /**
     * Sweep mode: router scores, then each route once for the whole batch; the image's own result is the one of the
     * route its score picks at the run's threshold (no third forward).
     */
    private static void runBothRoutes(RoutedModel model, NDArray input, List<Integer> ok, List<Letterbox> boxes, List<int[]> origins,
                                      List<Path> images, Options o, int[] categoryIds, List<ImageResult> out) {
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
            int h0 = origins.get(k)[0], w0 = origins.get(k)[1];
            Letterbox lb = boxes.get(k);
            Map<Route, RouteResult> perRoute = new java.util.EnumMap<>(Route.class);
            for (Route r : Route.values()) {
                perRoute.put(r, new RouteResult(toCoco(Nms.apply(decoded.get(r).get(k), o.nms()), lb, h0, w0, o.imageSize(), images.get(i), categoryIds),
                        ms.get(r), model.network().gflops(r, lb.paddedHeight(), lb.paddedWidth())));
            }
            Route route = Float.isNaN(scores[k]) ? Route.HARD : Route.choose(scores[k], o.routerThreshold());
            RouteResult taken = perRoute.get(route);
            out.set(i, new ImageResult(images.get(i), imageId(images.get(i)), h0, w0, lb, scores[k], route, taken.detections(), taken.modelMs(),
                    null, perRoute));
        }
    }

    /** An image as the evaluation path feeds it: letterboxed pixels, the letterbox, and the original size. */
    public record Prepared(Mat padded, Letterbox letterbox, int height, int width) {}

    /** The original's load_image + rect letterbox for one image (the caller releases {@code padded}). */
    public static Prepared prepare(Path f, int imageSize, int stride, long pixelLimit) throws ImageException {
        Mat img = Images.read(f, pixelLimit);
        try {
            int h0 = img.rows(), w0 = img.cols();
            double r = (double) imageSize / Math.max(h0, w0);
            Mat resized = img;
            if (r != 1) {
                resized = new Mat();
                int interp = r < 1 ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR;
                int[] size = Letterbox.loadSize(h0, w0, imageSize); // a side truncating to 0 px stays 1 px
                Imgproc.resize(img, resized, new Size(size[1], size[0]), 0, 0, interp);
            }
            int[] shape = Letterbox.evalShape(h0, w0, imageSize, stride, RECT_PAD);
            Letterbox lb = Letterbox.of(resized.rows(), resized.cols(), shape[0], shape[1], stride, false, false);
            Mat padded = Images.letterbox(resized, lb);
            if (resized != img) resized.release();
            return new Prepared(padded, lb, h0, w0);
        } catch (CvException e) {
            // one image OpenCV cannot resize is that image's error, never its batch's
            throw new ImageException(f + ": a " + img.cols() + "x" + img.rows() + " image cannot be resized for --img " + imageSize
                    + " (" + e.getMessage().strip() + ")");
        } finally {
            img.release();
        }
    }

    private static ImageResult failed(Path f, String error) {
        return new ImageResult(f, imageId(f), 0, 0, null, Float.NaN, null, List.of(), 0, error);
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

    private static void runBatch(RoutedModel model, List<Path> images, List<Integer> batch, Options o, int stride, int[] categoryIds,
                                 List<ImageResult> out) {
        List<Mat> padded = new ArrayList<>();
        List<Integer> ok = new ArrayList<>();
        List<Letterbox> boxes = new ArrayList<>();
        List<int[]> origins = new ArrayList<>();
        for (int i : batch) {
            Path f = images.get(i);
            try {
                Prepared pr = prepare(f, o.imageSize(), stride, o.pixelLimit());
                padded.add(pr.padded());
                ok.add(i);
                boxes.add(pr.letterbox());
                origins.add(new int[] {pr.height(), pr.width()});
            } catch (ImageException e) {
                out.set(i, failed(f, e.getMessage()));
            }
        }
        if (ok.isEmpty()) return;
        try (NDManager pass = NDManager.newBaseManager(model.device())) {
            NDArray input = Images.toInput(pass, padded);
            if (o.bothRoutes()) {
                runBothRoutes(model, input, ok, boxes, origins, images, o, categoryIds, out);
                return;
            }
            long t0 = System.nanoTime();
            RoutedOutput routed = model.forward(input, o.routerThreshold());
            double ms = (System.nanoTime() - t0) / 1e6 / ok.size();
            for (int k = 0; k < ok.size(); k++) {
                int i = ok.get(k);
                int h0 = origins.get(k)[0], w0 = origins.get(k)[1];
                Letterbox lb = boxes.get(k);
                List<CocoDetection> dets = toCoco(Nms.apply(routed.decoded().get(k), o.nms()), lb, h0, w0, o.imageSize(), images.get(i), categoryIds);
                out.set(i, new ImageResult(images.get(i), imageId(images.get(i)), h0, w0, lb, routed.scores()[k], routed.routes().get(k), dets, ms, null));
            }
        } finally {
            for (Mat m : padded) m.release();
        }
    }

    /** NMS rows (letterbox pixels) as COCO results of the original image, as test.py writes them. */
    private static List<CocoDetection> toCoco(float[][] rows, Letterbox lb, int h0, int w0, int imageSize, Path file, int[] categoryIds) {
        // scale_coords with ratio_pad: the load ratio (height, unless clamped) for both axes, the letterbox pad
        float gain = (float) Letterbox.loadGain(h0, w0, imageSize);
        float px = (float) lb.padX(), py = (float) lb.padY();
        List<CocoDetection> dets = new ArrayList<>(rows.length);
        long id = imageId(file);
        for (float[] r : rows) {
            float x1 = clip((r[0] - px) / gain, w0), y1 = clip((r[1] - py) / gain, h0);
            float x2 = clip((r[2] - px) / gain, w0), y2 = clip((r[3] - py) / gain, h0);
            float w = x2 - x1, h = y2 - y1;
            float cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
            float left = cx - w / 2, top = cy - h / 2;
            int cls = (int) r[5];
            int cat = categoryIds == null ? cls : categoryIds[cls];
            dets.add(new CocoDetection(id, cat, round(left, 3), round(top, 3), round(w, 3), round(h, 3), round(r[4], 5)));
        }
        return dets;
    }

    private static float clip(float v, int max) {
        return Math.max(0f, Math.min(v, max));
    }

    /** Python's round(x, n) on the float's exact value. */
    static double round(float v, int digits) {
        return new BigDecimal((double) v).setScale(digits, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** The Box of a COCO row (for drawing and tests). */
    public static Box box(CocoDetection d) {
        return new Box((float) d.x(), (float) d.y(), (float) (d.x() + d.width()), (float) (d.y() + d.height()));
    }
}
