package io.dydet.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.check.ConvShape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Spatial pyramid pooling, cross-stage partial (design.md, Layers): y1 = cv6(cv5([x1, pool5, pool9, pool13])) with
 * x1 = cv4(cv3(cv1(x))); out = cv7([y1, cv2(x)]). Hidden width equals out. Keys cv1..cv7 (each a Conv).
 */
public record Sppcspc(int in, int out, boolean isFused) implements Layer {
    private static final int[] POOLS = {5, 9, 13};

    private Layer conv(int cin, int cout, int k) {
        return isFused ? new FusedConv(cin, cout, k, 1) : new ConvBnSilu(cin, cout, k, 1);
    }

    private List<Layer> convs() {
        int c = out;
        return List.of(
                conv(in, c, 1),
                conv(in, c, 1),
                conv(c, c, 3),
                conv(c, c, 1),
                conv(4 * c, c, 1),
                conv(c, c, 3),
                conv(2 * c, out, 1));
    }

    @Override
    public String module() {
        return "SPPCSPC";
    }

    @Override
    public List<ParamSpec> params() {
        List<ParamSpec> p = new ArrayList<>();
        List<Layer> cv = convs();
        for (int i = 0; i < cv.size(); i++) {
            for (ParamSpec s : cv.get(i).params()) p.add(s.prefixed("cv" + (i + 1) + "."));
        }
        return p;
    }

    @Override
    public List<FeatureShape> outputShapes(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        return List.of(new FeatureShape(out, s.height(), s.width()));
    }

    @Override
    public long macs(List<List<FeatureShape>> inputs) {
        FeatureShape s = Layer.single(inputs);
        long hw = s.height() * s.width();
        long c = out;
        return hw * (in * c * 2 + c * c * 9 + c * c + 4 * c * c + c * c * 9 + 2 * c * out);
    }

    @Override
    public List<ConvShape> convShapes(List<List<FeatureShape>> inputs) {
        List<ConvShape> out = new ArrayList<>();
        for (Layer cv : convs()) out.addAll(cv.convShapes(inputs));
        return out;
    }

    @Override
    public NDList forward(List<NDList> inputs, Weights w, Mode mode) {
        NDArray x = inputs.get(0).head();
        List<Layer> cv = convs();
        NDArray x1 = run(cv.get(3), w, 4, run(cv.get(2), w, 3, run(cv.get(0), w, 1, x, mode), mode), mode);
        NDList pyramid = new NDList(x1);
        for (int k : POOLS) pyramid.add(Ops.maxPool(x1, k, 1, k / 2));
        NDArray y1 = run(cv.get(5), w, 6, run(cv.get(4), w, 5, Ops.concat(pyramid), mode), mode);
        NDArray y2 = run(cv.get(1), w, 2, x, mode);
        return new NDList(run(cv.get(6), w, 7, Ops.concat(new NDList(y1, y2)), mode));
    }

    private static NDArray run(Layer conv, Weights w, int index, NDArray x, Mode mode) {
        Weights sub = w.sub("cv" + index + ".");
        return conv instanceof ConvBnSilu c ? c.apply(x, sub, mode) : ((FusedConv) conv).apply(x, sub, mode);
    }

    @Override
    public Layer fused() {
        return new Sppcspc(in, out, true);
    }

    @Override
    public Map<String, NDArray> fuseWeights(Weights w, NDManager manager) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        List<Layer> cv = convs();
        for (int i = 0; i < cv.size(); i++) {
            String prefix = "cv" + (i + 1) + ".";
            cv.get(i).fuseWeights(w.sub(prefix), manager).forEach((k, v) -> m.put(prefix + k, v));
        }
        return m;
    }
}
