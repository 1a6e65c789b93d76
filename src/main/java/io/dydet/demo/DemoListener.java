package io.dydet.demo;

import io.dydet.train.TrainListener;

/** What the demo reports while it runs: its stages, and within them the training runs' and evaluation's progress. */
public interface DemoListener extends TrainListener {
    /** Stage {@code index} of {@code count} begins, e.g. "train the router". */
    default void stage(int index, int count, String name) {}

    /** Progress of an evaluation pass (calibration, sweep). */
    default void evaluating(String what, int done, int total) {}

    DemoListener SILENT = new DemoListener() {};
}
