package io.dydet.spark;

import io.dydet.infer.Detection;
import io.dydet.infer.ImageDetections;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** One output row per image: the fields of detections.json (dydet detect), detections as a nested array. */
final class DetectRows {
    static final StructType DETECTION = DataTypes.createStructType(List.of(
            field("box", DataTypes.createArrayType(DataTypes.DoubleType, false), false),
            field("confidence", DataTypes.DoubleType, false),
            field("class_id", DataTypes.IntegerType, false),
            field("class_name", DataTypes.StringType, false)));

    /** file, width, height, score, route, gflops, detections, error (nulls for an image that failed). */
    static final StructType SCHEMA = DataTypes.createStructType(List.of(
            field("file", DataTypes.StringType, false),
            field("width", DataTypes.IntegerType, true),
            field("height", DataTypes.IntegerType, true),
            field("score", DataTypes.DoubleType, true),
            field("route", DataTypes.IntegerType, true),
            field("gflops", DataTypes.DoubleType, true),
            field("detections", DataTypes.createArrayType(DETECTION, false), false),
            field("error", DataTypes.StringType, true)));

    private DetectRows() {}

    private static StructField field(String name, DataType type, boolean nullable) {
        return DataTypes.createStructField(name, type, nullable);
    }

    static Row of(String file, ImageDetections r) {
        List<Row> dets = new ArrayList<>(r.detections().size());
        for (Detection d : r.detections()) {
            dets.add(RowFactory.create(
                    new double[] {
                        d.box().x1(), d.box().y1(), d.box().x2(), d.box().y2()
                    },
                    (double) d.confidence(),
                    d.classId(),
                    d.className()));
        }
        boolean ok = r.ok();
        return RowFactory.create(
                file,
                ok ? r.width() : null,
                ok ? r.height() : null,
                ok && !Float.isNaN(r.routerScore()) ? (double) r.routerScore() : null,
                ok ? r.route().number() : null,
                ok ? r.gflops() : null,
                scala.jdk.javaapi.CollectionConverters.asScala(dets),
                r.error());
    }

    static Row failed(String file, String error) {
        return of(file, ImageDetections.failed(file, error));
    }
}
