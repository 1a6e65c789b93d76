package io.dydet.onnx;

import ai.djl.ndarray.NDArray;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One ONNX graph under construction: nodes, initializers, inputs and outputs, every value name unique. Thin
 * helpers over the ONNX protobuf schema (ai.onnx.proto.OnnxMl), so the exporter reads as the network does.
 */
final class GraphBuilder {
    /** The operator set the graphs use (Debian's python3-onnx 1.12 checks up to 17). */
    static final int OPSET = 17;
    /** A symbolic dimension in an input or output shape. */
    record Dim(String param, long value) {
        static Dim of(String param) {
            return new Dim(param, -1);
        }

        static Dim of(long value) {
            return new Dim(null, value);
        }
    }

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();
    private int counter;

    GraphBuilder(String name) {
        graph.setName(name);
    }

    /** A fresh value name starting with {@code hint}. */
    String fresh(String hint) {
        String n;
        do {
            n = hint + "_" + counter++;
        } while (names.contains(n));
        names.add(n);
        return n;
    }

    void input(String name, Dim... dims) {
        names.add(name);
        graph.addInput(valueInfo(name, dims));
    }

    void output(String name, Dim... dims) {
        graph.addOutput(valueInfo(name, dims));
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, Dim... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Dim d : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder b = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (d.param() != null) b.setDimParam(d.param());
            else b.setDimValue(d.value());
            shape.addDim(b);
        }
        OnnxMl.TypeProto type = OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                        .setShape(shape))
                .build();
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }

    /** A float32 initializer from an engine tensor, under its state-dict name. */
    String weight(String name, NDArray array) {
        if (names.contains(name)) return name;
        names.add(name);
        float[] data = array.toFloatArray();
        graph.addInitializer(floatTensor(name, data, array.getShape().getShape()));
        return name;
    }

    String floats(String hint, float[] data, long... dims) {
        String n = fresh(hint);
        graph.addInitializer(floatTensor(n, data, dims));
        return n;
    }

    /** A 0-d float constant. */
    String scalar(float v) {
        return floats("c", new float[] {v});
    }

    String ints(String hint, long[] data, long... dims) {
        String n = fresh(hint);
        ByteBuffer b = ByteBuffer.allocate(8 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : data) b.putLong(v);
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder()
                .setName(n)
                .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber())
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        graph.addInitializer(t);
        return n;
    }

    /** A 1-d int64 constant. */
    String ints(long... data) {
        return ints("i", data, data.length);
    }

    /** A 0-d int64 constant. */
    String intScalar(long v) {
        return ints("i", new long[] {v});
    }

    private static OnnxMl.TensorProto floatTensor(String name, float[] data, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder()
                .setName(name)
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    /** A node with one output; attributes as name/value pairs (long, long[], float, String). */
    String node(String op, List<String> inputs, Object... attributes) {
        return nodes(op, inputs, 1, attributes).get(0);
    }

    String node(String op, String input, Object... attributes) {
        return node(op, List.of(input), attributes);
    }

    List<String> nodes(String op, List<String> inputs, int outputs, Object... attributes) {
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(fresh(op));
        n.addAllInput(inputs);
        List<String> outs = new ArrayList<>(outputs);
        for (int i = 0; i < outputs; i++) {
            String o = fresh(op.toLowerCase(Locale.ROOT));
            outs.add(o);
            n.addOutput(o);
        }
        for (int i = 0; i < attributes.length; i += 2)
            n.addAttribute(attribute((String) attributes[i], attributes[i + 1]));
        graph.addNode(n);
        return outs;
    }

    /** Gives an existing value a public name (an Identity node, which runtimes remove). */
    void rename(String value, String name) {
        names.add(name);
        graph.addNode(OnnxMl.NodeProto.newBuilder()
                .setOpType("Identity")
                .setName(fresh("Identity"))
                .addInput(value)
                .addOutput(name));
    }

    private static OnnxMl.AttributeProto attribute(String name, Object value) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name);
        if (value instanceof Long v)
            a.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(v);
        else if (value instanceof Integer v)
            a.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(v);
        else if (value instanceof long[] v) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
            for (long x : v) a.addInts(x);
        } else if (value instanceof Float v)
            a.setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(v);
        else if (value instanceof String v)
            a.setType(OnnxMl.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(v));
        else throw new IllegalArgumentException("attribute " + name + ": unsupported value " + value);
        return a.build();
    }

    /** The finished model: this graph, opset 17 of the default domain. */
    byte[] toModel(String doc) {
        OnnxMl.ModelProto m = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("dydet")
                .setDocString(doc)
                .addOpsetImport(
                        OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build();
        return m.toByteArray();
    }
}
