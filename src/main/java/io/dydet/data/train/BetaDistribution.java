package io.dydet.data.train;

import java.util.random.RandomGenerator;

/** Beta(a, b) draws as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b) (MixUp's ratio, Beta(8, 8)). */
final class BetaDistribution {
    private BetaDistribution() {}

    static double sample(RandomGenerator rnd, double a, double b) {
        double x = gamma(rnd, a), y = gamma(rnd, b);
        return x / (x + y);
    }

    /** Marsaglia and Tsang's method (shape >= 1; smaller shapes via the boost Gamma(a) = Gamma(a + 1) * U^(1/a)). */
    static double gamma(RandomGenerator rnd, double shape) {
        if (shape < 1) return gamma(rnd, shape + 1) * Math.pow(rnd.nextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x, v;
            do {
                x = rnd.nextGaussian();
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = rnd.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
        }
    }
}
