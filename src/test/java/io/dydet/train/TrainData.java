package io.dydet.train;

import io.dydet.data.Hyperparameters;
import io.dydet.model.ClassNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Small training sets copied from the project's fixture data (src/test/resources/data/coco_val2017_47). */
final class TrainData {
    static final Path DATA = Path.of("src/test/resources/data/coco_val2017_47");

    private TrainData() {}

    /** {@code n} images with labels under dir/images/train and dir/labels/train, and dir/data.yaml (train = val). */
    static Path make(Path dir, int n) throws IOException {
        List<Path> src;
        try (Stream<Path> s = Files.list(DATA.resolve("images/val2017"))) {
            src = s.sorted().limit(n).toList();
        }
        Files.createDirectories(dir.resolve("images/train"));
        Files.createDirectories(dir.resolve("labels/train"));
        for (Path img : src) {
            Files.copy(img, dir.resolve("images/train").resolve(img.getFileName()));
            Path lbl = DATA.resolve("labels/val2017")
                    .resolve(img.getFileName().toString().replace(".jpg", ".txt"));
            if (Files.exists(lbl)) Files.copy(lbl, dir.resolve("labels/train").resolve(lbl.getFileName()));
        }
        Path yaml = dir.resolve("data.yaml");
        Files.writeString(yaml, "train: images/train\nval: images/train\nnc: 80\nnames: " + namesJson() + "\n");
        return yaml;
    }

    static String namesJson() {
        StringBuilder sb = new StringBuilder("[");
        List<String> names = ClassNames.defaults(80);
        for (int i = 0; i < names.size(); i++)
            sb.append(i == 0 ? "" : ", ").append('"').append(names.get(i)).append('"');
        return sb.append(']').toString();
    }

    /** Hyper-parameters without random augmentation (each epoch sees the same pixels), as a YAML file. */
    static Path quietHyp(Path dir) throws IOException {
        Hyperparameters h = Hyperparameters.scratchP5()
                .with(Map.of(
                        "mosaic",
                        0.0,
                        "mixup",
                        0.0,
                        "paste_in",
                        0.0,
                        "hsv_h",
                        0.0,
                        "hsv_s",
                        0.0,
                        "hsv_v",
                        0.0,
                        "translate",
                        0.0,
                        "scale",
                        0.0,
                        "fliplr",
                        0.0,
                        "warmup_epochs",
                        0.0));
        Path p = dir.resolve("hyp.quiet.yaml");
        Files.writeString(p, h.toYaml());
        return p;
    }

    static TrainArgs step1(Path data, Path hyp, int epochs) {
        return TrainArgs.builder()
                .step(TrainingStep.DETECTOR)
                .width(0.25)
                .data(data.toString())
                .hyp(hyp.toString())
                .epochs(epochs)
                .batch(4)
                .img(64)
                .workers(1)
                .adam(false)
                .linearLr(false)
                .minWarmup(0)
                .nominalBatch(4)
                .valBatch(4)
                .lr0(0.01)
                .autoanchor(true)
                .build();
    }
}
