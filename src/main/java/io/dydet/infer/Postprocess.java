package io.dydet.infer;

import ai.djl.ndarray.NDArray;
import io.dydet.box.Box;
import io.dydet.box.Letterbox;
import io.dydet.eval.CocoDetection;
import io.dydet.eval.Nms;
import io.dydet.eval.NmsOptions;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/** One image's decoded head output to boxes on the original image: NMS, then the letterbox undone. */
public final class Postprocess {
    private Postprocess() {}

    /** detect.py's way: boxes through the letterbox back to the original, confidences capped at 1, classes named. */
    public static List<Detection> detections(NDArray decoded, NmsOptions nms, Letterbox lb, List<String> classNames) {
        float[][] rows = Nms.apply(decoded, nms);
        List<Detection> list = new ArrayList<>(rows.length);
        for (float[] r : rows) {
            Box original = lb.toOriginal(new Box(r[0], r[1], r[2], r[3]));
            int cls = (int) r[5];
            list.add(new Detection(
                    original, Math.min(1f, r[4]), cls, cls < classNames.size() ? classNames.get(cls) : "class" + cls));
        }
        return list;
    }

    /**
     * test.py's way: COCO result rows of the original image, rounded as test.py writes them.
     *
     * @param categoryIds maps a model class id to the COCO category id written (identity if null)
     */
    public static List<CocoDetection> coco(
            NDArray decoded,
            NmsOptions nms,
            Letterbox lb,
            int h0,
            int w0,
            int imageSize,
            long imageId,
            int[] categoryIds) {
        float[][] rows = Nms.apply(decoded, nms);
        // scale_coords with ratio_pad: the load ratio (height, unless clamped) for both axes, the letterbox pad
        float gain = (float) Letterbox.loadGain(h0, w0, imageSize);
        float px = (float) lb.padX(), py = (float) lb.padY();
        List<CocoDetection> dets = new ArrayList<>(rows.length);
        for (float[] r : rows) {
            float x1 = clip((r[0] - px) / gain, w0), y1 = clip((r[1] - py) / gain, h0);
            float x2 = clip((r[2] - px) / gain, w0), y2 = clip((r[3] - py) / gain, h0);
            float w = x2 - x1, h = y2 - y1;
            float cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
            float left = cx - w / 2, top = cy - h / 2;
            int cls = (int) r[5];
            int cat = categoryIds == null ? cls : categoryIds[cls];
            dets.add(new CocoDetection(
                    imageId, cat, round(left, 3), round(top, 3), round(w, 3), round(h, 3), round(r[4], 5)));
        }
        return dets;
    }

    private static float clip(float v, int max) {
        return Math.max(0f, Math.min(v, max));
    }

    /** Python's round(x, n) on the float's exact value. */
    static double round(float v, int digits) {
        return new BigDecimal((double) v)
                .setScale(digits, RoundingMode.HALF_EVEN)
                .doubleValue();
    }
}
