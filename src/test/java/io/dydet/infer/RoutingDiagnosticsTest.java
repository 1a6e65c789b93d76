package io.dydet.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.eval.CocoDetection;
import io.dydet.eval.CocoEvaluator;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.model.Route;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Routing diagnostics on made-up results whose answer is known: 10 images with one box each; route 2 finds every
 * box exactly, route 1 finds the boxes of images 0-4 and misses those of images 5-9. With m missed boxes the set's
 * AP is f(m) (below), so a router's AP depends only on how many of images 5-9 it sends to route 1.
 */
class RoutingDiagnosticsTest {
    static final int N = 10, HARD_FROM = 5;

    /** The ground truth: image i has one 50 x 50 box of category 1. */
    static CocoGroundTruth truth(long... extraImagesWithoutBoxes) {
        CocoGroundTruth.Builder b = CocoGroundTruth.builder().addCategory(1, "thing");
        for (long i = 0; i < N; i++) b.addImage(i).addAnnotation(i, 1, 10, 10, 50, 50);
        for (long i : extraImagesWithoutBoxes) b.addImage(i);
        return b.build();
    }

    static CocoDetection exact(long image, double score) {
        return new CocoDetection(image, 1, 10, 10, 50, 50, score);
    }

    static Validator.ImageResult result(long id, float score, List<CocoDetection> route1, List<CocoDetection> route2) {
        return new Validator.ImageResult(
                new Validator.ImageRef(Path.of(id + ".jpg"), id, 100, 100, null),
                score,
                Route.choose(score, 0.5f),
                route1,
                1.0,
                null,
                Map.of(
                        Route.ROUTE1,
                        new Validator.RouteResult(route1, 1.0, 1.0),
                        Route.ROUTE2,
                        new Validator.RouteResult(route2, 2.0, 2.0)));
    }

    /** The 10 images with these easiness scores; route 1 misses images 5-9 unless {@code sameRoutes}. */
    static List<Validator.ImageResult> results(float[] scores, boolean sameRoutes) {
        List<Validator.ImageResult> out = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            List<CocoDetection> found = List.of(exact(i, 0.9));
            out.add(result(i, scores[i], i < HARD_FROM || sameRoutes ? found : List.of(), found));
        }
        return out;
    }

    /** Sweep rows at every k = 0..n: thresholds +inf, then each score from the highest down (scores distinct). */
    static List<Sweep.Row> rows(List<Validator.ImageResult> results, CocoGroundTruth gt) {
        double[] sorted = results.stream()
                .mapToDouble(Validator.ImageResult::routerScore)
                .sorted()
                .toArray();
        double[] t = new double[sorted.length + 1];
        t[0] = Double.POSITIVE_INFINITY;
        for (int k = 1; k < t.length; k++) t[k] = sorted[sorted.length - k];
        return Sweep.run(results, gt, t);
    }

    /** Easiness scores ranking images 0..9 from easiest to hardest (the oracle's order), or backwards. */
    static float[] ranked(boolean backwards) {
        float[] s = new float[N];
        for (int i = 0; i < N; i++) s[i] = backwards ? 0.05f + 0.1f * i : 0.95f - 0.1f * i;
        return s;
    }

    /**
     * AP with m of the 10 boxes missed: every detection is a true positive at IoU 1, so precision is 1 up to recall
     * (10 - m) / 10 and 0 beyond; AP is the share of COCO's 101 recall thresholds (i * 0.01, as linspace computes
     * them) at most that recall. For m = 3, 70 * 0.01 rounds above 0.7, so f(3) = 70/101, not 71/101.
     */
    static double f(int m) {
        double recall = (N - m) / (double) N;
        int count = 0;
        for (int j = 0; j <= 100; j++) if ((j == 100 ? 1.0 : j * 0.01) <= recall) count++;
        return count / 101.0;
    }

    /** P(m of the k route-1 images are among the 5 missed) for a uniformly random choice: hypergeometric. */
    static double hypergeometric(int k, int m) {
        return binomial(N - HARD_FROM, m) * binomial(HARD_FROM, k - m) / binomial(N, k);
    }

    static double binomial(int n, int r) {
        if (r < 0 || r > n) return 0;
        double c = 1;
        for (int i = 1; i <= r; i++) c = c * (n - r + i) / i;
        return c;
    }

    static int k(double share) {
        return (int) Math.round(share * N);
    }

    @Test
    void apOfTheMadeUpSetIsFOfTheMissedBoxes() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> r = results(ranked(false), false);
        List<Sweep.Row> rows = rows(r, gt);
        // the router ranked as the oracle sends images 0..k-1 to route 1: max(0, k - 5) misses
        for (Sweep.Row row : rows)
            assertEquals(
                    f(Math.max(0, k(row.easyShare()) - HARD_FROM)),
                    row.metrics().ap(),
                    1e-12,
                    "k " + k(row.easyShare()));
        assertEquals(1.0, f(0));
        assertEquals(91 / 101.0, f(1), 1e-15);
        assertEquals(70 / 101.0, f(3), 1e-15);
    }

    @Test
    void oracleSendsTheMissedImagesToRoute2AndReachesApOneAtHalf() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> r =
                results(ranked(true), false); // a backwards router: the oracle must not follow it
        RoutingDiagnostics.Oracle oracle = RoutingDiagnostics.Oracle.apGain(r, gt);
        for (long i = 0; i < N; i++)
            assertEquals(i < HARD_FROM ? 0.0 : 1.0, oracle.benefits().get(i), 1e-12, "AP gain of image " + i);
        assertEquals(
                List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L),
                oracle.ranking(List.of(9L, 3L, 5L, 0L, 1L, 2L, 4L, 6L, 7L, 8L)));
        RoutingDiagnostics.Result d = RoutingDiagnostics.compute(r, gt, rows(r, gt), 4, 1, oracle);
        assertEquals(RoutingDiagnostics.AP_GAIN, d.oracleCriterion());
        for (int i = 0; i < d.easyShares().length; i++) {
            int k = k(d.easyShares()[i]);
            assertEquals(f(Math.max(0, k - HARD_FROM)), d.oracleAp()[i], 1e-12, "oracle AP at k " + k);
            if (k == 5) assertEquals(1.0, d.oracleAp()[i], 1e-12);
        }
    }

    @Test
    void routerRankedAsTheOracleHasEfficacyOne() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> r = results(ranked(false), false);
        RoutingDiagnostics.Result d = RoutingDiagnostics.compute(r, gt, rows(r, gt), 20, 3);
        assertEquals(1.0, d.efficacy(), 1e-9);
        assertNull(d.efficacyNote());
        assertEquals(20, d.draws());
        boolean[] above = d.aboveRandom();
        for (int i = 0; i < above.length; i++) {
            int k = k(d.easyShares()[i]);
            assertArrayEquals(new double[] {d.oracleAp()[i]}, new double[] {d.routerAp()[i]}, 1e-12);
            // at k = 0 and k = n every router is the same; in between the oracle's order beats the random mean
            assertEquals(k > 0 && k < N, above[i], "above random at k " + k);
        }
    }

    @Test
    void randomBandMeanAndSdMatchTheHypergeometricExpectation() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> r = results(ranked(false), false);
        int draws = 400;
        RoutingDiagnostics.Result d = RoutingDiagnostics.compute(r, gt, rows(r, gt), draws, 11);
        for (int i = 0; i < d.easyShares().length; i++) {
            int k = k(d.easyShares()[i]);
            double mean = 0, var = 0;
            for (int m = 0; m <= k; m++) mean += hypergeometric(k, m) * f(m);
            for (int m = 0; m <= k; m++) var += hypergeometric(k, m) * (f(m) - mean) * (f(m) - mean);
            double sd = Math.sqrt(var);
            // the mean of 400 draws is within 4 standard errors (sd / 20) of the expectation
            assertEquals(mean, d.randomApMean()[i], 4 * sd / Math.sqrt(draws) + 1e-12, "random mean at k " + k);
            // the sample sd of 400 draws is within 20% of the exact sd (its relative standard error is about 4%)
            assertEquals(sd, d.randomApSd()[i], 0.2 * sd + 1e-12, "random sd at k " + k);
            if (k == 0 || k == N) assertEquals(0.0, d.randomApSd()[i]);
        }
    }

    /**
     * A random router's AP at each k has the same distribution as a draw, so its expected area above the random mean
     * is 0. The mean efficacy of 400 random routers (sd about 0.4 each) must be within 4 of its standard errors of 0, and that bound
     * must itself be small (under 0.1) for the check to mean something.
     */
    @Test
    void randomRoutersHaveMeanEfficacyNearZero() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> base = results(ranked(false), false);
        RoutingDiagnostics.Oracle oracle = RoutingDiagnostics.Oracle.apGain(base, gt);
        int routers = 400;
        double[] e = new double[routers];
        SplittableRandom seeds =
                new SplittableRandom(99); // java.util.Random of seeds 0, 1, 2.. gives image 0 the same score
        for (int s = 0; s < routers; s++) {
            List<Validator.ImageResult> random = Sweep.withRandomScores(base, seeds.nextLong());
            e[s] = RoutingDiagnostics.compute(random, gt, rows(random, gt), 20, 10_000 + s, oracle)
                    .efficacy();
        }
        double mean = Arrays.stream(e).average().orElseThrow();
        double sd = Math.sqrt(Arrays.stream(e).map(x -> (x - mean) * (x - mean)).sum() / (routers - 1));
        double bound = 4 * sd / Math.sqrt(routers);
        assertTrue(bound < 0.1, "bound " + bound);
        assertEquals(0.0, mean, bound);
        assertTrue(sd > 0.05, "random routers differ: sd " + sd);
    }

    /** Backwards, the router's excess misses mirror the oracle's shortfall, so its efficacy is about -1. */
    @Test
    void routerRankedBackwardsHasNegativeEfficacy() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> r = results(ranked(true), false);
        RoutingDiagnostics.Result d = RoutingDiagnostics.compute(r, gt, rows(r, gt), 100, 5);
        assertTrue(d.efficacy() < -0.8 && d.efficacy() > -1.2, "efficacy " + d.efficacy());
        for (boolean above : d.aboveRandom()) assertFalse(above);
    }

    @Test
    void randomDrawsAreDeterministicForASeedWhateverTheOrderOfTheResults() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> r = results(ranked(false), false);
        List<Sweep.Row> rows = rows(r, gt);
        RoutingDiagnostics.Result a = RoutingDiagnostics.compute(r, gt, rows, 5, 42);
        List<Validator.ImageResult> shuffled = new ArrayList<>(r);
        Collections.shuffle(shuffled, new Random(1));
        RoutingDiagnostics.Result b = RoutingDiagnostics.compute(shuffled, gt, rows, 5, 42);
        assertArrayEquals(a.randomApMean(), b.randomApMean(), 0.0);
        assertArrayEquals(a.randomApSd(), b.randomApSd(), 0.0);
        assertEquals(a.efficacy(), b.efficacy(), 0.0);
        RoutingDiagnostics.Result c = RoutingDiagnostics.compute(r, gt, rows, 5, 43);
        assertFalse(Arrays.equals(a.randomApMean(), c.randomApMean()), "another seed, other draws");
    }

    @Test
    void identicalRoutesLeaveNoRoomAboveRandomSoEfficacyIsNaN() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> r = results(ranked(false), true);
        RoutingDiagnostics.Result d = RoutingDiagnostics.compute(r, gt, rows(r, gt), 3, 0);
        assertTrue(Double.isNaN(d.efficacy()));
        assertFalse(d.efficacyDefined());
        assertTrue(d.efficacyNote().startsWith("undefined"), d.efficacyNote());
        assertTrue(d.toJson().containsKey("efficacy"));
        assertNull(d.toJson().get("efficacy"));
        for (int i = 0; i < d.easyShares().length; i++) {
            assertEquals(1.0, d.randomApMean()[i], 1e-12);
            assertEquals(0.0, d.randomApSd()[i], 1e-12);
            assertEquals(1.0, d.oracleAp()[i], 1e-12);
        }
    }

    @Test
    void lossGapOracleRanksByTheSuppliedGaps() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> r = results(ranked(false), false);
        Map<Long, Double> gap = new HashMap<>();
        for (long i = 0; i < N; i++) gap.put(i, i < HARD_FROM ? 2.0 + i : 0.5); // gaps that point the wrong way
        RoutingDiagnostics.Result d =
                RoutingDiagnostics.compute(r, gt, rows(r, gt), 3, 0, RoutingDiagnostics.Oracle.lossGap(gap));
        assertEquals("loss_gap", d.oracleCriterion());
        assertEquals("loss_gap", d.toJson().get("oracle_criterion"));
        for (int i = 0; i < d.easyShares().length; i++) {
            int k = k(d.easyShares()[i]);
            assertEquals(f(Math.min(k, HARD_FROM)), d.oracleAp()[i], 1e-12, "images 5-9 take route 1 first, k " + k);
        }
        // such an oracle is below random: no room above it, efficacy undefined
        assertTrue(Double.isNaN(d.efficacy()));
        gap.remove(3L);
        assertThrows(
                IllegalArgumentException.class,
                () -> RoutingDiagnostics.compute(r, gt, rows(r, gt), 3, 0, RoutingDiagnostics.Oracle.lossGap(gap)));
    }

    /** Images without ground truth: benefit 0, then fewer confident false positives removed by route 2 take route 1 first. */
    @Test
    void imagesWithoutGroundTruthAreRankedByTheFalsePositivesRoute2Removes() {
        CocoGroundTruth gt = truth(10, 11, 12);
        List<Validator.ImageResult> r = new ArrayList<>(results(ranked(false), false));
        r.add(result(
                10,
                0.5f,
                List.of(exact(10, 0.9), exact(10, 0.8), exact(10, 0.1)),
                List.of(exact(10, 0.1)))); // route 2 removes 2
        r.add(result(11, 0.5f, List.of(exact(11, 0.9)), List.of(exact(11, 0.9)))); // removes none
        r.add(result(12, 0.5f, List.of(), List.of(exact(12, 0.3)))); // adds one
        RoutingDiagnostics.Oracle oracle = RoutingDiagnostics.Oracle.apGain(r, gt);
        for (long i = 10; i <= 12; i++) assertEquals(0.0, oracle.benefits().get(i));
        List<Long> ids = r.stream().map(Validator.ImageResult::imageId).toList();
        assertEquals(List.of(12L, 0L, 1L, 2L, 3L, 4L, 11L, 10L, 5L, 6L, 7L, 8L, 9L), oracle.ranking(ids));
    }

    /**
     * A confident false positive on an image without ground truth lowers the set's AP (it outranks every true
     * positive) though that image has no AP of its own: the contribution oracle sees it, the per-image one cannot.
     */
    @Test
    void theContributionOracleCountsWhatAnImageDoesToTheOthersPrecision() {
        CocoGroundTruth gt = truth(10);
        List<Validator.ImageResult> r = new ArrayList<>(results(ranked(false), true)); // both routes equal on 0-9
        r.add(result(10, 0.5f, List.of(exact(10, 0.95)), List.of()));
        RoutingDiagnostics.Oracle oracle = RoutingDiagnostics.Oracle.apContribution(r, gt);
        assertEquals(RoutingDiagnostics.AP_CONTRIBUTION, oracle.criterion());
        // route 2 drops the false positive ranked above all 10 true positives: AP rises from the 100-point interpolated
        // precision with the first recall step at precision 1/2, to 1
        double withFp = CocoEvaluator.evaluate(
                        gt,
                        Stream.concat(
                                        Stream.of(exact(10, 0.95)),
                                        IntStream.range(0, N).mapToObj(i -> exact(i, 0.9)))
                                .toList(),
                        List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L))
                .ap();
        assertTrue(withFp < 1.0, "the false positive costs AP: " + withFp);
        assertEquals(1.0 - withFp, oracle.benefits().get(10L), 1e-12);
        for (long i = 0; i < N; i++)
            assertEquals(0.0, oracle.benefits().get(i), 1e-12, "image " + i + " is the same on both routes");
        assertEquals(
                0.0,
                RoutingDiagnostics.Oracle.apGain(r, gt).benefits().get(10L),
                "alone, an image without ground truth has no AP gain");
        List<Long> ids = r.stream().map(Validator.ImageResult::imageId).toList();
        assertEquals(10L, oracle.ranking(ids).get(ids.size() - 1), "the image that gains most takes route 2 first");
        assertEquals(
                RoutingDiagnostics.AP_CONTRIBUTION,
                RoutingDiagnostics.compute(r, gt, rows(r, gt), 2, 0).oracleCriterion(),
                "the default here");
    }

    @Test
    void areasUseTheTrapezoidRuleBetweenShares01And09() {
        double[] zero = new double[3];
        // a triangle 0 -> 1 -> 0 over [0, 1], rows unsorted: area 0.5 minus the two end triangles 0.5 * 0.1 * 0.2
        assertEquals(
                0.48, RoutingDiagnostics.areaAbove(new double[] {1.0, 0.0, 0.5}, new double[] {0, 0, 1}, zero), 1e-12);
        // rows of equal share are averaged; rows outside [0.1, 0.9] only serve the interpolation at the ends
        assertEquals(
                0.48,
                RoutingDiagnostics.areaAbove(
                        new double[] {0, 0.5, 0.5, 1}, new double[] {0, 0.5, 1.5, 0}, new double[4]),
                1e-12);
        // rows that do not reach an end: integrated up to the last row inside
        assertEquals(
                0.2 * 2,
                RoutingDiagnostics.areaAbove(new double[] {0.3, 0.5}, new double[] {3, 3}, new double[] {1, 1}),
                1e-12);
        assertEquals(0.0, RoutingDiagnostics.areaAbove(new double[] {0.5}, new double[] {1}, new double[] {0}));
    }

    @Test
    void jsonKeysAreTheDocumentedOnes() {
        CocoGroundTruth gt = truth();
        List<Validator.ImageResult> r = results(ranked(false), false);
        RoutingDiagnostics.Result d = RoutingDiagnostics.compute(r, gt, rows(r, gt), 2, 0);
        assertEquals(
                List.of(
                        "easy_shares",
                        "router_ap",
                        "random_ap_mean",
                        "random_ap_sd",
                        "oracle_ap",
                        "efficacy",
                        "random_draws",
                        "oracle_criterion"),
                new ArrayList<>(d.toJson().keySet()));
        assertEquals(2, d.toJson().get("random_draws"));
        assertEquals(d.efficacy(), (Double) d.toJson().get("efficacy"), 0.0);
        assertThrows(IllegalArgumentException.class, () -> RoutingDiagnostics.compute(r, gt, rows(r, gt), 1, 0));
    }
}
