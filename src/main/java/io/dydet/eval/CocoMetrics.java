package io.dydet.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.dydet.json.Json;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The result of a COCO bbox evaluation: COCOeval's 12 summary numbers and, per category, AP (IoU .50:.95) and AP50
 * at area "all", 100 detections per image. A value of -1 means "no data" (as in COCOeval: no ground truth for
 * the category or area range).
 *
 * @param precision   the six AP stats (COCOeval's first six)
 * @param recall      the six AR stats (COCOeval's last six)
 * @param perCategory per category id (ascending): AP and AP50, -1 when the category has no ground truth
 */
public record CocoMetrics(AveragePrecision precision, AverageRecall recall, Map<Integer, CategoryAp> perCategory) {
    /** Names of the 12 stats in COCOeval's order, as used by {@link #toJson()}. */
    public static final List<String> STAT_NAMES = List.of(
            "AP",
            "AP50",
            "AP75",
            "AP_small",
            "AP_medium",
            "AP_large",
            "AR1",
            "AR10",
            "AR100",
            "AR_small",
            "AR_medium",
            "AR_large");

    /** AP (IoU .50:.95) and AP50 of one category at area "all", maxDets 100; -1 without ground truth. */
    public record CategoryAp(double ap, double ap50) {}

    /**
     * COCOeval's AP stats, maxDets 100.
     *
     * @param ap       IoU .50:.95, all areas
     * @param ap50     IoU .50
     * @param ap75     IoU .75
     * @param small    IoU .50:.95, area &lt; 32<sup>2</sup>
     * @param medium   IoU .50:.95, area 32<sup>2</sup> .. 96<sup>2</sup>
     * @param large    IoU .50:.95, area &gt; 96<sup>2</sup>
     */
    public record AveragePrecision(double ap, double ap50, double ap75, double small, double medium, double large) {}

    /**
     * COCOeval's AR stats, IoU .50:.95.
     *
     * @param ar1      1 detection per image
     * @param ar10     10 detections per image
     * @param ar100    100 detections per image
     * @param small    area small, maxDets 100
     * @param medium   area medium, maxDets 100
     * @param large    area large, maxDets 100
     */
    public record AverageRecall(double ar1, double ar10, double ar100, double small, double medium, double large) {}

    public CocoMetrics {
        perCategory = Collections.unmodifiableMap(new TreeMap<>(perCategory));
    }

    /** Builds from the 12 stats in COCOeval's order. */
    public static CocoMetrics of(double[] stats, Map<Integer, CategoryAp> perCategory) {
        if (stats.length != 12) throw new IllegalArgumentException("expected 12 stats, got " + stats.length);
        return new CocoMetrics(
                new AveragePrecision(stats[0], stats[1], stats[2], stats[3], stats[4], stats[5]),
                new AverageRecall(stats[6], stats[7], stats[8], stats[9], stats[10], stats[11]),
                perCategory);
    }

    // the single stats by their COCOeval names, as before the grouping

    public double ap() {
        return precision.ap();
    }

    public double ap50() {
        return precision.ap50();
    }

    public double ap75() {
        return precision.ap75();
    }

    public double apSmall() {
        return precision.small();
    }

    public double apMedium() {
        return precision.medium();
    }

    public double apLarge() {
        return precision.large();
    }

    public double ar1() {
        return recall.ar1();
    }

    public double ar10() {
        return recall.ar10();
    }

    public double ar100() {
        return recall.ar100();
    }

    public double arSmall() {
        return recall.small();
    }

    public double arMedium() {
        return recall.medium();
    }

    public double arLarge() {
        return recall.large();
    }

    /** The 12 stats in COCOeval's order ({@code COCOeval.stats}), a new array. */
    public double[] stats() {
        return new double[] {
            ap(),
            ap50(),
            ap75(),
            apSmall(),
            apMedium(),
            apLarge(),
            ar1(),
            ar10(),
            ar100(),
            arSmall(),
            arMedium(),
            arLarge()
        };
    }

    /**
     * One stat by its name in {@link #STAT_NAMES}.
     *
     * @throws IllegalArgumentException unknown name
     */
    public double stat(String name) {
        int i = STAT_NAMES.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("unknown stat '" + name + "', expected one of " + STAT_NAMES);
        return stats()[i];
    }

    /**
     * {@code {"stats": {"AP": .., "AP50": .., ..., "AR_large": ..}, "per_category": {"<id>": {"AP": .., "AP50": ..}}}},
     * categories in ascending id order.
     */
    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Double> s = new LinkedHashMap<>();
        double[] v = stats();
        for (int i = 0; i < v.length; i++) s.put(STAT_NAMES.get(i), v[i]);
        root.put("stats", s);
        Map<String, Object> pc = new LinkedHashMap<>();
        perCategory.forEach((id, c) -> {
            Map<String, Double> e = new LinkedHashMap<>();
            e.put("AP", c.ap());
            e.put("AP50", c.ap50());
            pc.put(Integer.toString(id), e);
        });
        root.put("per_category", pc);
        try {
            return Json.MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 12 lines COCOeval's {@code summarize()} prints, same format. */
    public String summary() {
        String[] iou = {
            "0.50:0.95",
            "0.50",
            "0.75",
            "0.50:0.95",
            "0.50:0.95",
            "0.50:0.95",
            "0.50:0.95",
            "0.50:0.95",
            "0.50:0.95",
            "0.50:0.95",
            "0.50:0.95",
            "0.50:0.95"
        };
        String[] area = {
            "all", "all", "all", "small", "medium", "large", "all", "all", "all", "small", "medium", "large"
        };
        int[] maxDets = {100, 100, 100, 100, 100, 100, 1, 10, 100, 100, 100, 100};
        double[] v = stats();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            boolean isAp = i < 6;
            sb.append(String.format(
                    Locale.ROOT,
                    " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %.3f%n",
                    isAp ? "Average Precision" : "Average Recall",
                    isAp ? "(AP)" : "(AR)",
                    iou[i],
                    area[i],
                    maxDets[i],
                    v[i]));
        }
        return sb.toString();
    }
}
