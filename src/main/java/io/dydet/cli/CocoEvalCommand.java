package io.dydet.cli;

import io.dydet.eval.CocoEvaluator;
import io.dydet.eval.CocoGroundTruth;
import io.dydet.eval.CocoMetrics;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "cocoeval",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description = "Score COCO results JSON against COCO ground truth (bbox), equal to pycocotools' COCOeval.")
final class CocoEvalCommand implements Callable<Integer> {
    @Option(
            names = "--gt",
            required = true,
            paramLabel = "INSTANCES.json",
            description = "ground truth in COCO instances format")
    Path gt;

    @Option(
            names = "--dt",
            required = true,
            paramLabel = "RESULTS.json",
            description = "detections in COCO results format")
    Path dt;

    @Option(names = "--json", description = "print {\"stats\": {...}, \"per_category\": {...}}")
    boolean json;

    @Override
    public Integer call() throws Exception {
        CocoMetrics m = CocoEvaluator.evaluate(CocoGroundTruth.read(gt), dt);
        System.out.println(json ? m.toJson() : m.summary());
        return 0;
    }
}
