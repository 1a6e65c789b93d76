package io.dydet.cli;

import ai.djl.Device;
import io.dydet.infer.Backend;
import io.dydet.infer.Detector;
import io.dydet.model.Precision;
import picocli.CommandLine.Option;

/** The inference backend and precision, shared by the commands that run the deploy-form model. */
public final class BackendOption {
    @Option(
            names = "--backend",
            defaultValue = "auto",
            paramLabel = "auto|torch|onnxruntime",
            description =
                    "inference engine: auto (the faster of those the engine check found right on this machine), torch (libtorch, CPU or CUDA) "
                            + "or onnxruntime (the exported graphs, CPU); default ${DEFAULT-VALUE}")
    public String backend;

    @Option(
            names = "--force",
            description =
                    "run a backend or precision even when the engine check found it wrong on this machine (results will be wrong)")
    public boolean force;

    @Option(
            names = "--precision",
            defaultValue = "fp32",
            paramLabel = "fp32|bf16",
            description =
                    "number format of the convolutions: fp32, or bf16 (torch backend; about twice as fast on CPUs with AVX512-BF16 "
                            + "or AMX, with small drift; router and box decoding stay fp32; default ${DEFAULT-VALUE})")
    public String precision;

    public Backend get() {
        if (force) System.setProperty("dydet.force", "true");
        return Backend.parse(backend);
    }

    /** The backend that runs here: auto resolved, an explicit choice checked (after the engine started). */
    public Backend resolve(Device device) {
        return get().resolve(precision(), device);
    }

    /** The builder with this backend and precision. */
    public Detector.Builder apply(Detector.Builder b) {
        return b.backend(get()).precision(precision());
    }

    /** The precision, checked against the backend. */
    public Precision precision() {
        Precision p = Precision.parse(precision);
        get().checkPrecision(p);
        return p;
    }
}
