package io.dydet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** Training-mode forward: raw logits of both heads (each level (B, na, ny, nx, nc + 5)) and, if dynamic, the router score (B, 1). */
public record TrainOutput(NDList head1, NDList head2, NDArray score) {}
