package io.dydet.cli;

import io.dydet.demo.DemoListener;
import io.dydet.demo.DemoPipeline;
import io.dydet.demo.DemoReport;
import io.dydet.demo.DemoSettings;
import io.dydet.infer.RoutingDiagnostics;
import io.dydet.infer.Sweep;
import io.dydet.train.ForwardingTrainListener;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description =
                "DynamicDet end to end in minutes: synthetic easy and hard scenes, training step 1 and step 2, calibration, "
                        + "the accuracy/speed sweep, annotated easy/hard images and the router's score against the generated difficulty.")
final class DemoCommand implements Callable<Integer> {
    @Option(
            names = {"-o", "--out"},
            paramLabel = "DIR",
            defaultValue = "runs/demo",
            description = "new or empty run folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(
            names = "--minutes",
            defaultValue = "10",
            description =
                    "time budget: a slow machine gets fewer epochs (said on the terminal); stops with advice only when even the smallest plan cannot fit (default ${DEFAULT-VALUE})")
    double minutes;

    @Option(
            names = "--images",
            description = "synthetic images for step 1 and evaluation, a quarter for validation (default 240)")
    Integer images;

    @Option(
            names = "--router-images",
            description =
                    "more images, held out from step 1, for step 2 (default 80; 0: step 2 on step 1's images, as the original)")
    Integer routerImages;

    @Option(names = "--epochs", description = "training step 1 epochs, both routes (default 22)")
    Integer epochs;

    @Option(
            names = "--route2-epochs",
            description = "then epochs of route 2 alone with route 1 frozen (default 12; 0: none)")
    Integer route2Epochs;

    @Option(
            names = "--precision",
            paramLabel = "fp32|bf16",
            defaultValue = "fp32",
            description =
                    "number format of the demo's training: fp32, or bf16 mixed precision (CPUs with AVX512-BF16 or AMX); default ${DEFAULT-VALUE}")
    String precision;

    @Option(names = "--router-epochs", description = "training step 2 epochs (default 8)")
    Integer routerEpochs;

    @Option(
            names = {"--img", "--img-size"},
            paramLabel = "N",
            description = "image size (default 128)")
    Integer img;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "seed: the same seed gives the same data, model and report (default ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        runtime.start();
        DemoSettings.Builder b = DemoSettings.defaults(out).toBuilder()
                .minutes(minutes)
                .seed(seed)
                .device(runtime.device)
                .precision(io.dydet.model.Precision.parse(precision));
        if (images != null) b.images(images);
        if (routerImages != null) b.routerImages(routerImages);
        if (img != null) b.imageSize(img);
        if (epochs != null) b.detectorEpochs(epochs);
        if (route2Epochs != null) b.route2Epochs(route2Epochs);
        if (routerEpochs != null) b.routerEpochs(routerEpochs);
        DemoSettings s = b.build();
        DemoReport r = DemoPipeline.run(s, new Listener());
        print(r);
        return 0;
    }

    static void print(DemoReport r) {
        RoutingDiagnostics.Result d = r.routing();
        System.out.printf(
                "%n%-8s %-8s %9s %8s %8s %8s %18s %8s%n",
                "route 1", "route 2", "GFLOPs", "ms/img", "AP", "AP50", "random (mean+-sd)", "oracle");
        for (int i = 0; i < r.rows().size(); i++) {
            Sweep.Row row = r.rows().get(i);
            System.out.printf(
                    "%6.0f%%  %6.0f%%  %9.3f %8.1f %8.4f %8.4f %9.4f+-%.4f %8.4f%n",
                    100 * row.easyShare(),
                    100 * (1 - row.easyShare()),
                    row.gflops(),
                    row.msPerImage(),
                    row.metrics().ap(),
                    row.metrics().ap50(),
                    d.randomApMean()[i],
                    d.randomApSd()[i],
                    d.oracleAp()[i]);
        }
        Sweep.Row a = r.allRoute1(), b = r.allRoute2();
        System.out.printf(
                "%nAP rises with the route-2 share:   %s (%.4f all route 1 -> %.4f all route 2; rank correlation %.2f)%n",
                yes(r.apRises()), a.metrics().ap(), b.metrics().ap(), r.apRankCorrelation());
        System.out.printf(
                "time rises with the route-2 share: %s (%.1f -> %.1f ms/img, %.2f -> %.2f GFLOPs)%n",
                yes(r.timeRises()), a.msPerImage(), b.msPerImage(), a.gflops(), b.gflops());
        System.out.printf(
                "route 2 helps hard images more:   %s (set AP gained per image moved to route 2: %+.5f generated-hard, %+.5f generated-easy)%n",
                yes(r.route2HelpsHardImagesMore()), r.meanRoute2Gain(true), r.meanRoute2Gain(false));
        System.out.printf(
                "router scores hard images lower:  %s (mean easiness %.3f on generated-easy, %.3f on generated-hard images; AUC %.3f)%n",
                yes(r.router().separates()),
                r.router().meanEasy(),
                r.router().meanHard(),
                r.router().auc());
        System.out.printf(
                "router beats a random one at 50/50: %s (AP %+.4f over the mean of %d random routers)%n",
                yes(r.gainOverRandomAtHalf() > 0), r.gainOverRandomAtHalf(), d.draws());
        System.out.printf(
                "router above random, every share:  %s (easy shares 10%%-90%%)%n", yes(r.aboveRandomAtEveryShare()));
        System.out.printf(
                "routing efficacy:                   %s (area above the random mean, as a share of the oracle's: 1 = oracle, 0 = random)%n",
                d.efficacyDefined() ? String.format("%.2f", d.efficacy()) : "undefined: " + d.efficacyNote());
        if (Boolean.TRUE.equals(r.plan().get("shortened_to_fit_budget"))) {
            System.out.printf("plan shortened to fit the budget: %s%n", r.plan());
        }
        Path o = r.out();
        System.out.printf("%ndone in %.1f min. In %s:%n", r.totalSeconds() / 60, o);
        System.out.printf(
                "  tradeoff.png, sweep.csv      AP (router, random band, oracle), ms and GFLOPs per image for each router threshold%n");
        System.out.printf("  routing.json                 the routing diagnostics: random band, oracle, efficacy%n");
        System.out.printf(
                "  annotated/easy, annotated/hard  validation images as the router split them at threshold %.4f (half on each route)%n",
                r.threshold());
        System.out.printf(
                "  router_vs_difficulty.png     the router's easiness score on generated-easy and generated-hard images%n");
        System.out.printf(
                "  model.safetensors            the calibrated model: dydet detect --weights %s --easy-ratio 0.5 --source IMAGES%n",
                r.model());
        System.out.printf("  train/, train-route2/, train-router/  the training runs (results.csv, results.png)%n");
        System.out.printf("  demo.json                    everything above as numbers%n");
    }

    private static String yes(boolean b) {
        return b ? "yes" : "NO ";
    }

    /** Stage banners, then the training command's bars, then a bar per evaluation pass. */
    static final class Listener extends ForwardingTrainListener implements DemoListener {
        private ProgressBar eval;
        private String evalName;

        Listener() {
            super(new TrainCommand.Listener());
        }

        @Override
        public void stage(int index, int count, String name) {
            System.err.printf("%n[%d/%d] %s%n", index, count, name);
        }

        @Override
        public void evaluating(String what, int done, int total) {
            if (eval == null || !what.equals(evalName)) { // at the pass's (0, total): the rate counts from its start
                eval = new ProgressBar(what, total);
                evalName = what;
            }
            eval.update(done);
            if (done >= total) eval.finish();
        }
    }
}
