package io.dydet.cli;

import io.dydet.data.demo.DemoDataGenerator;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "demo-data",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        description =
                "Write a small synthetic data set in the YOLO format (images, label files, data YAML) whose scenes are easy or hard on purpose; difficulty.csv records which.")
final class DemoDataCommand implements Callable<Integer> {
    @Option(
            names = {"-o", "--out"},
            required = true,
            paramLabel = "DIR",
            description = "empty or new folder for the data set")
    Path out;

    @Option(
            names = "--images",
            defaultValue = "200",
            description = "number of images, a quarter of them validation (default ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--size", defaultValue = "256", description = "image side in pixels (default ${DEFAULT-VALUE})")
    int size;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "seed; the same seed writes the same files (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        DemoDataGenerator.Summary s = new DemoDataGenerator(size, seed).write(out, images);
        System.out.printf(
                "wrote %d train and %d val images (%d hard), %d objects of %s%ndata set: %s (difficulty per image: %s)%n",
                s.trainImages(),
                s.valImages(),
                s.hardImages(),
                s.objects(),
                DemoDataGenerator.CLASSES,
                s.dataYaml(),
                out.resolve("difficulty.csv"));
        return 0;
    }
}
