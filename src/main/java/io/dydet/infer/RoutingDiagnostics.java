package io.dydet.infer;

import io.dydet.eval.CocoDetection;
import io.dydet.eval.CocoEvaluator;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.model.Route;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * How good a router's ranking is: at each easy share of a sweep, the router's AP@[.5:.95] next to a random router's
 * (mean and sample sd over seeded draws) and an oracle's, which sends the images that gain least from route 2 to
 * route 1 first. All three send exactly the same number of images k to route 1 at a row, so only the choice of
 * images differs.
 *
 * <p>Routing efficacy = (area between the router's AP curve and the random mean) / (area between the oracle's
 * curve and the random mean), by the trapezoid rule over easy share in [{@value #SHARE_FROM}, {@value #SHARE_TO}]:
 * 1 is as good as the oracle, 0 random, below 0 worse than random. It can exceed 1: the oracle ranks images one by
 * one, which is not always the best ranking for the set's AP. The end shares are left out because there every
 * router is nearly the same (all route 1 or all route 2).
 *
 * <p>Cost: up to {@value #CONTRIBUTION_LIMIT} images the oracle ({@code ap_contribution}) costs 2n + 2 full
 * evaluations (60 demo images: well under a second). Above, 2n single-image evaluations for the {@code ap_gain}
 * oracle. Then one full evaluation per (draw,
 * distinct k) and one per distinct k for the oracle; k = 0 and k = n are evaluated once (every router agrees).
 * For 5,000 COCO images (100 detections each), 20 draws and 11 rows that is 20 x 9 + 2 + 11 full evaluations
 * (~0.5 s each, measured) plus 10,000 single-image ones (~1.6 ms each): about 2 min on one core, spread over the
 * common fork-join pool. Lower {@code draws} for a faster, noisier random band (the sd of the mean falls as
 * 1/sqrt(draws)).
 */
public final class RoutingDiagnostics {
    public static final int DEFAULT_DRAWS = 20;
    /** Easy shares over which the efficacy's areas are taken. */
    public static final double SHARE_FROM = 0.1, SHARE_TO = 0.9;
    /** A detection at least this confident counts as a false positive on an image without ground truth. */
    public static final double FP_SCORE = 0.25;

    public static final String AP_GAIN = "ap_gain", AP_CONTRIBUTION = "ap_contribution", LOSS_GAP = "loss_gap";
    /** Up to this many images the default oracle is {@link Oracle#apContribution} (2n full evaluations), above it {@link Oracle#apGain}. */
    public static final int CONTRIBUTION_LIMIT = 1000;
    /** Oracle areas at most this are "no room above random" (identical APs differ by rounding at most). */
    private static final double MIN_AREA = 1e-12;

    private RoutingDiagnostics() {}

    /**
     * The oracle's ranking: per image id its benefit from route 2; images with the smallest benefit take route 1
     * first, ties broken by {@code tieBreak} (smaller first; absent = 0), then by image id.
     *
     * @param criterion what the benefit measures, {@value #AP_GAIN} or {@value #LOSS_GAP} (named in the result)
     */
    public record Oracle(String criterion, Map<Long, Double> benefits, Map<Long, Double> tieBreak) {
        public Oracle {
            Objects.requireNonNull(criterion, "criterion");
            for (var e : benefits.entrySet()) {
                if (e.getValue() == null || Double.isNaN(e.getValue()))
                    throw new IllegalArgumentException("benefit of image " + e.getKey() + " is not a number");
            }
            benefits = Map.copyOf(benefits);
            tieBreak = Map.copyOf(tieBreak);
        }

        /**
         * Benefit = AP@[.5:.95] of the image evaluated alone with route 2's detections minus with route 1's. An image
         * without ground truth has no AP: its benefit is 0, and among equal benefits it goes to route 1 later the
         * more confident (score &gt;= {@value #FP_SCORE}) detections route 2 removes, since there every detection is
         * a false positive. This is a tie-break, not a scaled term, so it never outranks a real AP gain. Detections of
         * categories the image has no ground truth of do not count in its AP (evaluated alone, they have no effect).
         */
        public static Oracle apGain(List<Validator.ImageResult> results, CocoGroundTruth gt) {
            List<Validator.ImageResult> ok = evaluated(results);
            double[][] ap = new double[ok.size()][];
            IntStream.range(0, ok.size()).parallel().forEach(i -> {
                Validator.ImageResult r = ok.get(i);
                List<Long> id = List.of(r.imageId());
                ap[i] = new double[] {
                    CocoEvaluator.evaluate(gt, routeResult(r, Route.ROUTE1).detections(), id)
                            .ap(),
                    CocoEvaluator.evaluate(gt, routeResult(r, Route.ROUTE2).detections(), id)
                            .ap()
                };
            });
            Map<Long, Double> gain = new HashMap<>(), fpGain = new HashMap<>();
            for (int i = 0; i < ok.size(); i++) {
                Validator.ImageResult r = ok.get(i);
                boolean defined = ap[i][0] >= 0 && ap[i][1] >= 0; // -1: no ground truth in this image
                gain.put(r.imageId(), defined ? ap[i][1] - ap[i][0] : 0.0);
                if (!defined)
                    fpGain.put(r.imageId(), (double)
                            (confident(routeResult(r, Route.ROUTE1).detections())
                                    - confident(routeResult(r, Route.ROUTE2).detections())));
            }
            return new Oracle(AP_GAIN, gain, fpGain);
        }

        /**
         * Benefit = the image's contribution to the set's AP@[.5:.95] when it moves to route 2: half the AP change of
         * moving it alone from an all-route-1 set to route 2, plus half the change of moving it alone back from an
         * all-route-2 set. Unlike {@link #apGain} it sees what an image does to the others' precision (its confident
         * false positives outrank their true positives), which decides the set's AP; measured: on the demo's data
         * routing by per-image AP gain beat the random router by as little as 0.003 AP at 50/50, and a router
         * reached efficacy 1.15 against it. Costs 2n + 2 full evaluations; ties broken as {@link #apGain}'s.
         */
        public static Oracle apContribution(List<Validator.ImageResult> results, CocoGroundTruth gt) {
            List<Validator.ImageResult> ok = evaluated(results);
            int n = ok.size();
            List<Long> ids = ok.stream().map(Validator.ImageResult::imageId).toList();
            List<List<CocoDetection>> route1 = new ArrayList<>(n), route2 = new ArrayList<>(n);
            for (Validator.ImageResult r : ok) {
                route1.add(routeResult(r, Route.ROUTE1).detections());
                route2.add(routeResult(r, Route.ROUTE2).detections());
            }
            double all1 = apWithOneSwapped(gt, ids, route1, route2, -1),
                    all2 = apWithOneSwapped(gt, ids, route2, route1, -1);
            double[] benefit = new double[n];
            IntStream.range(0, n)
                    .parallel()
                    .forEach(i -> benefit[i] = 0.5 * (apWithOneSwapped(gt, ids, route1, route2, i) - all1)
                            + 0.5 * (all2 - apWithOneSwapped(gt, ids, route2, route1, i)));
            Map<Long, Double> gain = new HashMap<>(), fpGain = new HashMap<>();
            for (int i = 0; i < n; i++) {
                gain.put(ids.get(i), benefit[i]);
                fpGain.put(ids.get(i), (double) (confident(route1.get(i)) - confident(route2.get(i))));
            }
            return new Oracle(AP_CONTRIBUTION, gain, fpGain);
        }

        /** {@link #apContribution} up to {@link #CONTRIBUTION_LIMIT} images, else {@link #apGain} (its cost grows as n squared). */
        public static Oracle bestAffordable(List<Validator.ImageResult> results, CocoGroundTruth gt) {
            return evaluated(results).size() <= CONTRIBUTION_LIMIT ? apContribution(results, gt) : apGain(results, gt);
        }

        /** The oracle of the training criterion: per image id the detection loss gap L1 - L2 (route 1's loss minus route 2's). */
        public static Oracle lossGap(Map<Long, Double> gap) {
            return new Oracle(LOSS_GAP, gap, Map.of());
        }

        /** Image ids in the order they take route 1 as the easy share grows. */
        public List<Long> ranking(List<Long> imageIds) {
            for (Long id : imageIds)
                if (!benefits.containsKey(id))
                    throw new IllegalArgumentException("the " + criterion + " oracle has no benefit for image " + id);
            List<Long> order = new ArrayList<>(imageIds);
            order.sort(Comparator.<Long>comparingDouble(benefits::get)
                    .thenComparingDouble(id -> tieBreak.getOrDefault(id, 0.0))
                    .thenComparing(id -> id));
            return order;
        }
    }

    /**
     * Per sweep row (same order as the rows given): easy share, AP of the router, of the random router (mean and
     * sample sd over {@code draws}) and of the oracle. {@code efficacy} is NaN when undefined, with the reason in
     * {@code efficacyNote} (null when defined).
     */
    public record Result(Curves curves, double efficacy, int draws, String oracleCriterion, String efficacyNote) {
        /** Per easy share (one row each): the trained router's AP, the random routers' mean and SD, the oracle's AP. */
        public record Curves(
                double[] easyShares,
                double[] routerAp,
                double[] randomApMean,
                double[] randomApSd,
                double[] oracleAp) {}

        public double[] easyShares() {
            return curves.easyShares();
        }

        public double[] routerAp() {
            return curves.routerAp();
        }

        public double[] randomApMean() {
            return curves.randomApMean();
        }

        public double[] randomApSd() {
            return curves.randomApSd();
        }

        public double[] oracleAp() {
            return curves.oracleAp();
        }

        public boolean efficacyDefined() {
            return !Double.isNaN(efficacy);
        }

        /** Per row: whether the router's AP is above the random router's mean. */
        public boolean[] aboveRandom() {
            boolean[] b = new boolean[routerAp().length];
            for (int i = 0; i < b.length; i++) b[i] = routerAp()[i] > randomApMean()[i];
            return b;
        }

        /** routing.json; an undefined efficacy is written as null. */
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("easy_shares", easyShares());
            m.put("router_ap", routerAp());
            m.put("random_ap_mean", randomApMean());
            m.put("random_ap_sd", randomApSd());
            m.put("oracle_ap", oracleAp());
            m.put("efficacy", efficacyDefined() ? efficacy : null);
            m.put("random_draws", draws);
            m.put("oracle_criterion", oracleCriterion);
            return m;
        }
    }

    /** With the {@link Oracle#bestAffordable best affordable} oracle: ap_contribution up to 1000 images, else ap_gain. */
    public static Result compute(
            List<Validator.ImageResult> results, CocoGroundTruth gt, List<Sweep.Row> rows, int draws, long seed) {
        return compute(results, gt, rows, draws, seed, Oracle.bestAffordable(results, gt));
    }

    /**
     * @param results per-image results holding both routes' detections (from a sweep run); failed images are left out
     * @param rows the router's sweep over these results ({@link Sweep#run})
     * @param draws random draws, at least 2; draw i is the i-th permutation of one {@link SplittableRandom} seeded
     *     with {@code seed} (a different generator from {@link Sweep#withRandomScores}'s, so a random router of the
     *     same seed is not one of the draws), over the images sorted by id: results do not depend on input order
     */
    public static Result compute(
            List<Validator.ImageResult> results,
            CocoGroundTruth gt,
            List<Sweep.Row> rows,
            int draws,
            long seed,
            Oracle oracle) {
        if (draws < 2)
            throw new IllegalArgumentException(
                    "random draws must be at least 2 (for a standard deviation), got " + draws);
        if (rows.isEmpty()) throw new IllegalArgumentException("no sweep row");
        List<Validator.ImageResult> ok = new ArrayList<>(evaluated(results));
        if (ok.isEmpty()) throw new IllegalArgumentException("no evaluated image");
        ok.sort(Comparator.comparingLong(Validator.ImageResult::imageId));
        int n = ok.size();
        List<Long> ids = ok.stream().map(Validator.ImageResult::imageId).toList();
        Map<Long, Integer> index = new HashMap<>();
        for (int i = 0; i < n; i++) index.put(ids.get(i), i);
        List<List<CocoDetection>> route1 = new ArrayList<>(n), route2 = new ArrayList<>(n);
        for (Validator.ImageResult r : ok) {
            route1.add(routeResult(r, Route.ROUTE1).detections());
            route2.add(routeResult(r, Route.ROUTE2).detections());
        }

        int rowCount = rows.size();
        int[] rowK = new int[rowCount];
        double[] shares = new double[rowCount], routerAp = new double[rowCount];
        TreeSet<Integer> ks = new TreeSet<>();
        for (int i = 0; i < rowCount; i++) {
            shares[i] = rows.get(i).easyShare();
            routerAp[i] = rows.get(i).metrics().ap();
            rowK[i] = (int) Math.round(shares[i] * n);
            if (rowK[i] < 0 || rowK[i] > n)
                throw new IllegalArgumentException("row " + i + " has easy share " + shares[i]);
            ks.add(rowK[i]);
        }
        int[] distinct = ks.stream().mapToInt(Integer::intValue).toArray();

        // permutations first, in draw order, so each draw is the same whatever the scheduling of the evaluations
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] perms = new int[draws][];
        for (int d = 0; d < draws; d++) perms[d] = permutation(n, rng);
        int[] oracleOrder = oracle.ranking(ids).stream().mapToInt(index::get).toArray();

        // one evaluation per (draw, distinct k), plus the oracle per k; k = 0 and k = n are the same for every draw
        int tasks = draws * distinct.length;
        double[][] randomAp = new double[distinct.length][draws];
        double[] oracleAtK = new double[distinct.length];
        IntStream.range(0, tasks + distinct.length).parallel().forEach(t -> {
            if (t >= tasks) {
                int j = t - tasks;
                oracleAtK[j] = apWithFirstOnRoute1(gt, ids, route1, route2, oracleOrder, distinct[j]);
                return;
            }
            int j = t / draws, d = t % draws, k = distinct[j];
            if ((k == 0 || k == n) && d > 0) return;
            randomAp[j][d] = apWithFirstOnRoute1(gt, ids, route1, route2, perms[d], k);
        });
        double[] mean = new double[rowCount], sd = new double[rowCount], oracleAp = new double[rowCount];
        for (int i = 0; i < rowCount; i++) {
            int j = Arrays.binarySearch(distinct, rowK[i]);
            double[] v = randomAp[j];
            oracleAp[i] = oracleAtK[j];
            if (rowK[i] == 0
                    || rowK[i] == n) { // one route for all: exactly that AP, sd 0 (a sum of copies would round)
                mean[i] = v[0];
                continue;
            }
            double m = 0;
            for (double x : v) m += x;
            m /= draws;
            double ss = 0;
            for (double x : v) ss += (x - m) * (x - m);
            mean[i] = m;
            sd[i] = Math.sqrt(ss / (draws - 1));
        }

        double routerArea = areaAbove(shares, routerAp, mean), oracleArea = areaAbove(shares, oracleAp, mean);
        double efficacy = Double.NaN;
        String note = null;
        if (oracleArea > MIN_AREA) {
            efficacy = routerArea / oracleArea;
        } else {
            note = String.format(
                    "undefined: the %s oracle is no better than the random router between easy shares %.1f and %.1f (area %.3g)",
                    oracle.criterion(), SHARE_FROM, SHARE_TO, oracleArea);
        }
        return new Result(
                new Result.Curves(shares, routerAp, mean, sd, oracleAp), efficacy, draws, oracle.criterion(), note);
    }

    /**
     * The area of {@code curve - base} over easy share in [{@value #SHARE_FROM}, {@value #SHARE_TO}] by the trapezoid
     * rule, the ends interpolated linearly between rows; where the rows do not reach an end, up to the last row
     * inside. Points are sorted by share; rows of equal share are averaged. 0 when fewer than two shares are inside.
     */
    public static double areaAbove(double[] shares, double[] curve, double[] base) {
        int n = shares.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> shares[i]));
        double[] x = new double[n], y = new double[n];
        int m = 0;
        for (int a = 0; a < n; ) {
            int b = a;
            double sum = 0;
            while (b < n && shares[order[b]] == shares[order[a]]) sum += curve[order[b]] - base[order[b++]];
            x[m] = shares[order[a]];
            y[m++] = sum / (b - a);
            a = b;
        }
        if (m < 2) return 0;
        double lo = Math.max(SHARE_FROM, x[0]), hi = Math.min(SHARE_TO, x[m - 1]);
        if (hi <= lo) return 0;
        double area = 0, px = lo, py = interpolate(x, y, m, lo);
        for (int i = 0; i < m; i++) {
            if (x[i] <= lo) continue;
            double qx = Math.min(x[i], hi), qy = x[i] <= hi ? y[i] : interpolate(x, y, m, hi);
            area += (qx - px) * (py + qy) / 2;
            px = qx;
            py = qy;
            if (x[i] >= hi) break;
        }
        return area;
    }

    private static double interpolate(double[] x, double[] y, int m, double at) {
        for (int i = 1; i < m; i++) {
            if (x[i] >= at) return y[i - 1] + (y[i] - y[i - 1]) * (at - x[i - 1]) / (x[i] - x[i - 1]);
        }
        return y[m - 1];
    }

    /** AP@[.5:.95] with every image on {@code base}'s detections but image {@code swapped} (none: -1) on {@code other}'s. */
    private static double apWithOneSwapped(
            CocoGroundTruth gt,
            List<Long> ids,
            List<List<CocoDetection>> base,
            List<List<CocoDetection>> other,
            int swapped) {
        List<CocoDetection> dets = new ArrayList<>();
        for (int p = 0; p < base.size(); p++) dets.addAll((p == swapped ? other : base).get(p));
        return CocoEvaluator.evaluate(gt, dets, ids).ap();
    }

    /** AP@[.5:.95] with images {@code order[0..k)} on route 1 and the rest on route 2. */
    private static double apWithFirstOnRoute1(
            CocoGroundTruth gt,
            List<Long> ids,
            List<List<CocoDetection>> route1,
            List<List<CocoDetection>> route2,
            int[] order,
            int k) {
        List<CocoDetection> dets = new ArrayList<>();
        for (int p = 0; p < order.length; p++) dets.addAll((p < k ? route1 : route2).get(order[p]));
        return CocoEvaluator.evaluate(gt, dets, ids).ap();
    }

    private static int[] permutation(int n, SplittableRandom rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static int confident(List<CocoDetection> dets) {
        int c = 0;
        for (CocoDetection d : dets) if (d.score() >= FP_SCORE) c++;
        return c;
    }

    private static List<Validator.ImageResult> evaluated(List<Validator.ImageResult> results) {
        return results.stream().filter(r -> r.error() == null).toList();
    }

    private static Validator.RouteResult routeResult(Validator.ImageResult r, Route route) {
        Validator.RouteResult rr = r.perRoute().get(route);
        if (rr == null)
            throw new IllegalStateException("routing diagnostics need both routes per image (Options.bothRoutes)");
        return rr;
    }
}
