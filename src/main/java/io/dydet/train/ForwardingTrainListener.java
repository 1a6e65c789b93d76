package io.dydet.train;

import java.util.Map;

/** Passes every event on to another listener; extend it to watch or add to a run's events. */
public class ForwardingTrainListener implements TrainListener {
    private final TrainListener target;

    public ForwardingTrainListener(TrainListener target) {
        this.target = target;
    }

    @Override
    public void message(String text) {
        target.message(text);
    }

    @Override
    public void epochStarted(int epoch, int epochs, int batches) {
        target.epochStarted(epoch, epochs, batches);
    }

    @Override
    public void batchDone(int epoch, int batch, int batches, Map<String, Double> columns, double imagesPerSecond) {
        target.batchDone(epoch, batch, batches, columns, imagesPerSecond);
    }

    @Override
    public void validating(int done, int total) {
        target.validating(done, total);
    }

    @Override
    public void epochDone(EpochResult result) {
        target.epochDone(result);
    }
}
