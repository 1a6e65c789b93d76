package io.dydet.cli;

import io.dydet.infer.Backend;
import picocli.CommandLine.Option;

/** The inference backend, shared by the commands that run the deploy-form model. */
final class BackendOption {
    @Option(names = "--backend", defaultValue = "torch", paramLabel = "torch|onnxruntime",
            description = "inference engine: torch (libtorch, CPU or CUDA) or onnxruntime (the exported graphs, CPU; default ${DEFAULT-VALUE})")
    String backend;

    Backend get() {
        return Backend.parse(backend);
    }
}
