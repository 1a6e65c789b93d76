package io.dydet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.dydet.engine.NativeOps;
import io.dydet.nn.Ops;
import io.dydet.nn.ParamSpec;
import io.dydet.nn.Weights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tensors of {@link DynamicDetModel}'s deploy form (design.md, Fused model). */
final class ModelFusion {
    private ModelFusion() {}

    /**
     * The fused state dict of a model, its tensors attached to {@code target} and named by their keys: BatchNorm
     * folded into convolutions, RepConv branches merged, ImplicitA/M folded; channels-last when {@code cpu}, and
     * convolution weights and biases rounded to bfloat16 when asked.
     */
    static Map<String, NDArray> fusedState(
            Network network,
            Map<String, NDArray> state,
            Map<Node, Weights> nodeWeights,
            NDManager manager,
            NDManager target,
            Precision precision,
            boolean cpu) {
        Map<String, NDArray> fusedState = new LinkedHashMap<>();
        try (NDScope scope = new NDScope()) {
            List<NDArray> keep = new ArrayList<>();
            if (network.isDynamic()) {
                for (ParamSpec p : network.router().params()) {
                    NDArray c = state.get("router." + p.name()).duplicate();
                    fusedState.put("router." + p.name(), c);
                    keep.add(c);
                }
            }
            for (Section s : Section.values()) {
                for (Node n : network.nodes(s)) {
                    Map<String, NDArray> w = n.layer().fuseWeights(nodeWeights.get(n), manager);
                    for (Map.Entry<String, NDArray> e : w.entrySet()) {
                        NDArray c = e.getValue().duplicate();
                        fusedState.put(n.prefix() + e.getKey(), c);
                        keep.add(c);
                    }
                }
            }
            for (Map.Entry<String, NDArray> e : fusedState.entrySet()) {
                NDArray k = e.getValue();
                // channels-last pays off with oneDNN on CPU; elsewhere keep the default layout
                if (cpu && k.getShape().dimension() == 4 && !e.getKey().startsWith("router.")) {
                    NDArray cl = Ops.toChannelsLast(k);
                    e.setValue(cl);
                    k = cl;
                }
                // convolution weights and biases only: the router and the heads' anchors stay float32
                String name = e.getKey();
                if (precision == Precision.BFLOAT16
                        && !name.startsWith("router.")
                        && (name.endsWith("weight") || name.endsWith("bias"))) {
                    NDArray b = NativeOps.toBFloat16(k);
                    e.setValue(b);
                    k = b;
                }
                NDScope.unregister(k);
                k.attach(target);
            }
        }
        fusedState.forEach((k, v) -> v.setName(k));
        return fusedState;
    }
}
