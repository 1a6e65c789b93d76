package io.dydet.cli;

import ai.djl.Device;
import io.dydet.engine.Devices;
import io.dydet.engine.Engines;
import picocli.CommandLine.Option;

/** Engine options shared by the commands that run the network. */
public final class RuntimeOptions {
    @Option(names = "--threads", paramLabel = "N", description = "intra-op threads (default: all cores)")
    public int threads;

    @Option(
            names = "--device",
            paramLabel = "DEV",
            defaultValue = "cpu",
            description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE})")
    public String device;

    /** Starts the engine with these threads and returns the device. */
    public Device start() {
        Engines.start(threads);
        return device();
    }

    public Device device() {
        return Devices.parse(device);
    }
}
