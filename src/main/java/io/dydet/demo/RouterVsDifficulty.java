package io.dydet.demo;

import io.dydet.eval.Auc;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Does the router see what the generator made hard? The easiness score's mean on easy and on hard images, and the
 * AUC: the probability that a random easy image scores higher than a random hard one (ties count half; 0.5 is a
 * router that cannot tell them apart, 1.0 one that always ranks easy images first).
 */
public record RouterVsDifficulty(int easyImages, int hardImages, double meanEasy, double meanHard, double auc) {

    public static RouterVsDifficulty of(double[] easyScores, double[] hardScores) {
        if (easyScores.length == 0 || hardScores.length == 0) {
            throw new IllegalArgumentException(
                    "need easy and hard images, got " + easyScores.length + " easy and " + hardScores.length + " hard");
        }
        return new RouterVsDifficulty(
                easyScores.length,
                hardScores.length,
                mean(easyScores),
                mean(hardScores),
                Auc.of(easyScores, hardScores));
    }

    /** The router's score is lower on hard images than on easy ones. */
    public boolean separates() {
        return meanHard < meanEasy;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("easy_images", easyImages);
        m.put("hard_images", hardImages);
        m.put("mean_score_easy", meanEasy);
        m.put("mean_score_hard", meanHard);
        m.put("auc", auc);
        return m;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double d : v) s += d;
        return s / v.length;
    }
}
