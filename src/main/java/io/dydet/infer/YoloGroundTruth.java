package io.dydet.infer;

import io.dydet.data.Images;
import io.dydet.data.YoloLabels;
import io.dydet.eval.CocoGroundTruth;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Ground truth from YOLO label files, for data sets without a COCO instances JSON (area = box area, no crowd). */
public final class YoloGroundTruth {
    private YoloGroundTruth() {}

    public static CocoGroundTruth build(List<Path> images, int nc) throws IOException {
        return build(images, nc, null);
    }

    /** @param names class names in id order (the data YAML's), or null for "class0", "class1", ... */
    public static CocoGroundTruth build(List<Path> images, int nc, List<String> names) throws IOException {
        CocoGroundTruth.Builder b = CocoGroundTruth.builder();
        for (int c = 0; c < nc; c++) b.addCategory(c, names != null && c < names.size() ? names.get(c) : "class" + c);
        for (Path img : images) {
            long id = Validator.imageId(img);
            b.addImage(id);
            int[] hw = Images.headerDims(img);
            if (hw == null) continue;
            for (YoloLabels.Label l : YoloLabels.read(img, nc)) {
                double w = l.w() * hw[1], h = l.h() * hw[0];
                b.addAnnotation(id, l.classId(), l.cx() * hw[1] - w / 2, l.cy() * hw[0] - h / 2, w, h);
            }
        }
        return b.build();
    }
}
