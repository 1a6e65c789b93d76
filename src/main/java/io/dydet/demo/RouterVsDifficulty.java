package io.dydet.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Does the router see what the generator made hard? The easiness score's mean on easy and on hard images, and the
 * AUC: the probability that a random easy image scores higher than a random hard one (ties count half; 0.5 is a
 * router that cannot tell them apart, 1.0 one that always ranks easy images first).
 */
public record RouterVsDifficulty(int easyImages, int hardImages, double meanEasy, double meanHard, double auc) {

    public static RouterVsDifficulty of(double[] easyScores, double[] hardScores) {
        if (easyScores.length == 0 || hardScores.length == 0) {
            throw new IllegalArgumentException("need easy and hard images, got " + easyScores.length + " easy and " + hardScores.length + " hard");
        }
        double wins = 0;
        for (double e : easyScores) for (double h : hardScores) wins += e > h ? 1 : e == h ? 0.5 : 0;
        return new RouterVsDifficulty(easyScores.length, hardScores.length, mean(easyScores), mean(hardScores),
                wins / ((double) easyScores.length * hardScores.length));
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

    /**
     * The generator's difficulty.csv: image name (without extension) to hard or not.
     *
     * @throws IOException a line that is not {@code file,split,easy|hard,objects}, with its line number
     */
    public static Map<String, Boolean> readDifficulty(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        if (lines.isEmpty() || !lines.get(0).startsWith("file,split,difficulty")) {
            throw new IOException(csv + ":1: expected the header file,split,difficulty,objects");
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            String[] f = lines.get(i).split(",");
            if (f.length < 3 || !(f[2].equals("easy") || f[2].equals("hard"))) {
                throw new IOException(csv + ":" + (i + 1) + ": expected file,split,easy|hard,objects, got '" + lines.get(i) + "'");
            }
            out.put(f[0], f[2].equals("hard"));
        }
        return out;
    }
}
