package io.dydet.nn;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One tensor a layer owns, named by its suffix in the original state dict (e.g. {@code conv.weight}).
 * Buffers (BatchNorm running statistics, anchors) are part of the state dict but are not trained.
 */
public record ParamSpec(String name, Shape shape, DataType dataType, Kind kind) {
    public enum Kind {
        PARAMETER,
        BUFFER
    }

    static ParamSpec param(String name, long... shape) {
        return new ParamSpec(name, new Shape(shape), DataType.FLOAT32, Kind.PARAMETER);
    }

    static ParamSpec buffer(String name, long... shape) {
        return new ParamSpec(name, new Shape(shape), DataType.FLOAT32, Kind.BUFFER);
    }

    static ParamSpec counter(String name) {
        return new ParamSpec(name, new Shape(), DataType.INT64, Kind.BUFFER);
    }

    public boolean trainable() {
        return kind == Kind.PARAMETER;
    }

    public ParamSpec prefixed(String prefix) {
        return new ParamSpec(prefix + name, shape, dataType, kind);
    }
}
