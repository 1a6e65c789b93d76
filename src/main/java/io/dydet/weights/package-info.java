/**
 * Reading and writing of <a href="https://github.com/huggingface/safetensors">safetensors</a> files.
 *
 * <p>Layout: an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON
 * ({@code {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}}}), then the raw
 * little-endian tensor data; offsets are relative to the start of that data section ({@code 8 + N}).
 *
 * <p>Entry points: {@link io.dydet.weights.SafeTensors#open(java.nio.file.Path)} (header parsed and validated,
 * tensors read one at a time on demand) and
 * {@link io.dydet.weights.SafeTensors#write(java.nio.file.Path, java.util.Map, java.util.Map)} (atomic write).
 * Every problem with the bytes of a file is reported as a {@link io.dydet.weights.WeightsException} whose
 * message names the file and, where there is one, the tensor.
 */
package io.dydet.weights;
