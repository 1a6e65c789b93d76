package io.dydet.train;

import java.util.Map;

/** What a training run reports while it goes; the CLI draws progress bars from it, the library never prints. */
public interface TrainListener {
    /** Free-form news: resumed from, skipped weights, data problems, autoanchor. */
    default void message(String text) {}

    default void epochStarted(int epoch, int epochs, int batches) {}

    /**
     * After each batch.
     *
     * @param columns running means shown on the bar, e.g. box/obj/cls/total or Delta/score/route-2 share
     */
    default void batchDone(int epoch, int batch, int batches, Map<String, Double> columns, double imagesPerSecond) {}

    default void validating(int done, int total) {}

    default void epochDone(EpochResult result) {}

    /**
     * Asked after each epoch, once its weights are saved: false stops the run there (its last weights are that
     * epoch's; a time budget uses it to shorten a run). The schedule stays the one planned for all epochs.
     */
    default boolean keepTraining(EpochResult result) {
        return true;
    }

    TrainListener SILENT = new TrainListener() {};
}
