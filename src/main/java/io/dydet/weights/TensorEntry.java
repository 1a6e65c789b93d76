package io.dydet.weights;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a safetensors header.
 *
 * @param name the tensor key
 * @param dtype the safetensors dtype string ({@code F16}, {@code F32}, {@code F64}, {@code I64}, {@code I32},
 *     {@code U8}, {@code I8}, {@code BOOL})
 * @param shape the dimensions; empty for a 0-d tensor, may contain 0 for a zero-size tensor
 * @param begin first byte, relative to the start of the data section
 * @param end one past the last byte, relative to the start of the data section
 */
public record TensorEntry(String name, String dtype, long[] shape, long begin, long end) {

    /**
     * @throws IllegalArgumentException for an unknown dtype, a negative dimension or offsets that are not
     *     {@code 0 <= begin <= end}; {@link SafeTensors#open} reports these as {@link WeightsException} first
     */
    public TensorEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        if (SafeTensors.dataType(dtype) == null) {
            throw new IllegalArgumentException("tensor '" + name + "': unknown dtype '" + dtype + "'");
        }
        shape = shape.clone(); // records expose arrays by reference; keep ours immutable
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(
                        "tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
            }
        }
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("tensor '" + name + "': bad data_offsets [" + begin + ", " + end + "]");
        }
    }

    /** A copy of the dimensions. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The dimensions as a DJL shape; {@code new Shape()} for a 0-d tensor. */
    public Shape djlShape() {
        return new Shape(shape);
    }

    /** The DJL data type of the stored dtype (e.g. {@code F16} gives {@link DataType#FLOAT16}). */
    public DataType dataType() {
        return SafeTensors.dataType(dtype);
    }

    /** Number of elements: 1 for a 0-d tensor, 0 for a zero-size one. */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** {@code end - begin}. */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorEntry t
                && name.equals(t.name)
                && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return "TensorEntry[" + name + ", " + dtype + ", " + Arrays.toString(shape) + ", [" + begin + ", " + end + "]]";
    }
}
