package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.dydet.engine.Scalars;
import io.dydet.engine.check.ConvShape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * YOLOv7's detection layer with implicit knowledge (design.md, Layers). Per level i: raw = im_i * conv_i(x_i + ia_i),
 * viewed as (B, na, ny, nx, no). Decoding: y = sigmoid(raw); xy = (2y - 0.5 + grid) * stride;
 * wh = (2y)^2 * anchor_grid (pixels). In the fused form ia/im are folded into conv_i (their keys stay).
 */
public record IDetect(int nc, int na, List<Integer> channels, List<Integer> strides, boolean isFused) implements Layer {
    public IDetect {
        channels = List.copyOf(channels);
        strides = List.copyOf(strides);
    }

    public int levels() {
        return channels.size();
    }

    public int outputsPerAnchor() {
        return nc + 5;
    }

    public IDetect withStrides(List<Integer> s) {
        return new IDetect(nc, na, channels, s, isFused);
    }

    @Override
    public String module() {
        return "IDetect";
    }

    @Override
    public List<ParamSpec> params() {
        int nl = levels(), no = outputsPerAnchor();
        List<ParamSpec> p = new ArrayList<>();
        p.add(ParamSpec.buffer("anchors", nl, na, 2));
        p.add(ParamSpec.buffer("anchor_grid", nl, 1, na, 1, 1, 2));
        for (int i = 0; i < nl; i++) {
            p.add(ParamSpec.param("m." + i + ".weight", (long) na * no, channels.get(i), 1, 1));
            p.add(ParamSpec.param("m." + i + ".bias", (long) na * no));
        }
        for (int i = 0; i < nl; i++) p.add(ParamSpec.param("ia." + i + ".implicit", 1, channels.get(i), 1, 1));
        for (int i = 0; i < nl; i++) p.add(ParamSpec.param("im." + i + ".implicit", 1, (long) na * no, 1, 1));
        return p;
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        List<FeatureShape> out = new ArrayList<>();
        for (List<FeatureShape> in : inputs) {
            FeatureShape s = in.get(0);
            out.add(new FeatureShape((long) na * outputsPerAnchor(), s.height(), s.width()));
        }
        return out;
    }

    @Override
    public long macs(List<List<FeatureShape>> inputs) {
        long m = 0;
        for (List<FeatureShape> in : inputs) {
            FeatureShape s = in.get(0);
            m += s.height() * s.width() * s.channels() * na * outputsPerAnchor();
        }
        return m;
    }

    @Override
    public List<ConvShape> convShapes(List<List<FeatureShape>> inputs) {
        List<ConvShape> out = new ArrayList<>();
        for (List<FeatureShape> in : inputs) {
            FeatureShape s = in.get(0);
            out.add(ConvShape.same((int) s.channels(), na * outputsPerAnchor(), 1, 1, s.height(), s.width()));
        }
        return out;
    }

    /** Raw logits per level, each (B, na, ny, nx, no). */
    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        int no = outputsPerAnchor();
        NDList raw = new NDList(levels());
        for (int i = 0; i < levels(); i++) {
            NDArray x = inputs.get(i).head();
            NDArray y;
            if (isFused) {
                y = Ops.conv(x, w.get("m." + i + ".weight"), w.get("m." + i + ".bias"), 1, 0);
            } else {
                NDArray shifted = x.add(w.get("ia." + i + ".implicit"));
                NDArray conv = Ops.conv(shifted, w.get("m." + i + ".weight"), w.get("m." + i + ".bias"), 1, 0);
                y = conv.mul(w.get("im." + i + ".implicit"));
                Ops.releaseInTraining(mode, shifted, conv);
            }
            Shape s = y.getShape();
            NDArray grouped = y.reshape(s.get(0), na, no, s.get(2), s.get(3));
            NDArray level = grouped.transpose(0, 1, 3, 4, 2);
            if (mode.training()) {
                // one contiguous copy, as the original's, instead of one per reshape in the loss
                NDArray flat = level.reshape(-1);
                raw.add(flat.reshape(level.getShape()));
                Ops.releaseInTraining(mode, y, grouped, level, flat);
            } else {
                raw.add(level);
            }
        }
        return raw;
    }

    /** Decoded predictions (B, N, no): centre x, centre y, w, h in input pixels, then objectness and classes. */
    public NDArray decode(NDList raw, Weights w) {
        NDArray anchorGrid = w.get("anchor_grid");
        NDList levels = new NDList(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            NDArray r = raw.get(i);
            Shape s = r.getShape();
            long bs = s.get(0), ny = s.get(2), nx = s.get(3);
            NDManager m = r.getManager();
            NDArray y = Activation.sigmoid(r);
            NDArray gx = m.arange(0f, (float) nx, 1f, DataType.FLOAT32, r.getDevice())
                    .reshape(1, 1, 1, nx, 1)
                    .broadcast(new Shape(1, 1, ny, nx, 1));
            NDArray gy = m.arange(0f, (float) ny, 1f, DataType.FLOAT32, r.getDevice())
                    .reshape(1, 1, ny, 1, 1)
                    .broadcast(new Shape(1, 1, ny, nx, 1));
            NDArray grid = NDArrays.concat(new NDList(gx, gy), 4);
            NDArray xy = Scalars.mul(
                    Scalars.mul(y.get(new NDIndex("..., 0:2")), 2f).sub(0.5f).add(grid), (float) strides.get(i));
            NDArray anchors =
                    anchorGrid.get(i); // a view of a model tensor lands in the model's manager: move it to this pass
            anchors.attach(m);
            NDArray wh =
                    Scalars.mul(y.get(new NDIndex("..., 2:4")), 2f).square().mul(anchors.reshape(1, na, 1, 1, 2));
            NDArray rest = y.get(new NDIndex("..., 4:"));
            levels.add(NDArrays.concat(new NDList(xy, wh, rest), 4).reshape(bs, -1, outputsPerAnchor()));
        }
        return NDArrays.concat(levels, 1);
    }

    @Override
    public Layer fused() {
        return new IDetect(nc, na, channels, strides, true);
    }

    @Override
    public Map<String, NDArray> fuseWeights(Weights w, NDManager manager) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        for (ParamSpec p : params()) m.put(p.name(), w.get(p.name()));
        for (int i = 0; i < levels(); i++) {
            NDArray weight = w.get("m." + i + ".weight");
            NDArray bias = w.get("m." + i + ".bias");
            NDArray a = w.get("ia." + i + ".implicit");
            NDArray mult = w.get("im." + i + ".implicit").reshape(-1);
            long out = weight.getShape().get(0), in = weight.getShape().get(1);
            NDArray wa = weight.reshape(out, in).matMul(a.reshape(in, 1)).reshape(out);
            m.put("m." + i + ".weight", weight.mul(mult.reshape(out, 1, 1, 1)));
            m.put("m." + i + ".bias", bias.add(wa).mul(mult));
        }
        return m;
    }
}
