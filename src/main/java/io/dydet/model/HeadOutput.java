package io.dydet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * What a head returns for a batch: the decoded predictions (B, N, nc + 5) as centre x, centre y, width, height
 * in input pixels, objectness and class probabilities; and the raw logits per level, each (B, na, ny, nx, nc + 5).
 * The arrays belong to the manager of the input.
 */
public record HeadOutput(NDArray decoded, NDList raw) {}
