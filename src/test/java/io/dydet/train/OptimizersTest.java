package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.dydet.engine.Engines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Optimiser trajectories against torch 1.13.1 (src/test/python/optim_reference.py ->
 * src/test/resources/train/optim_reference.json): three parameters in three groups, weight decay on group 1 only,
 * learning rates changing every step, SGD momentum changing mid-way; loss sum(0.5*c*p^2 + d*p).
 */
class OptimizersTest {
    private static JsonNode ref;
    private static NDManager manager;

    @BeforeAll
    static void setUp() throws IOException {
        Engines.start(1);
        ref = ScheduleTest.reference("optim_reference.json");
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** The three parameters at their initial values, requiring gradients, in a sub-manager of the test's. */
    private static Map<String, NDArray> initialParams(NDManager m) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (String k : List.of("p0", "p1", "p2")) {
            NDArray p = m.create(floats(ref.get("init").get(k)), shape(k));
            p.setRequiresGradient(true);
            params.put(k, p);
        }
        return params;
    }

    private static ParameterGroups groups(Map<String, NDArray> params) {
        List<ParameterGroup> gs = new ArrayList<>();
        JsonNode groups = ref.get("groups");
        for (int i = 0; i < groups.size(); i++) {
            Map<String, NDArray> members = new LinkedHashMap<>();
            for (JsonNode n : groups.get(i)) members.put(n.asText(), params.get(n.asText()));
            gs.add(new ParameterGroup("g" + i, ref.get("weight_decay").get(i).asDouble() != 0, members));
        }
        return new ParameterGroups(gs);
    }

    private static Shape shape(String k) {
        JsonNode s = ref.get("shapes").get(k);
        long[] dims = new long[s.size()];
        for (int i = 0; i < dims.length; i++) dims[i] = s.get(i).asLong();
        return new Shape(dims);
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }

    private static Optimizer create(String kind, ParameterGroups groups) {
        double wd = ref.get("weight_decay").get(1).asDouble();
        double beta1 = ref.get("betas").get(0).asDouble();
        return switch (kind) {
            case "sgd_nesterov" -> Optimizers.sgd(groups, 0.1, 0.9, wd, true);
            case "adam" -> Optimizers.adam(groups, 0.1, beta1, wd);
            case "adamw" -> Optimizers.adamW(groups, 0.1, beta1, wd);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** One training step as the reference does it: set lr/momentum, zero grads, backward, step. */
    private static void trainStep(Optimizer opt, Map<String, NDArray> params, int step, String kind) {
        double scale =
                kind.equals("sgd_nesterov") ? 1 : ref.get("adam_lr_scale").asDouble();
        for (int g = 0; g < opt.groups().size(); g++) {
            opt.setLr(g, ref.get("lr").get(step).get(g).asDouble() * scale);
            if (opt.hasMomentum())
                opt.setMomentum(g, ref.get("momentum").get(step).asDouble());
        }
        opt.zeroGrad();
        try (NDManager scratch = manager.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = null;
                for (Map.Entry<String, NDArray> e : params.entrySet()) {
                    NDArray c = scratch.create(floats(ref.get("c").get(e.getKey())), shape(e.getKey()));
                    NDArray d = scratch.create(floats(ref.get("d").get(e.getKey())), shape(e.getKey()));
                    NDArray p = e.getValue();
                    NDArray term = c.mul(0.5f).mul(p).mul(p).add(d.mul(p)).sum();
                    loss = loss == null ? term : loss.add(term);
                }
                gc.backward(loss);
            }
        }
        opt.step();
    }

    private static void assertTrajectory(String kind) {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> params = initialParams(m);
            JsonNode expected = ref.get("trajectories").get(kind);
            try (Optimizer opt = create(kind, groups(params))) {
                for (int step = 0; step < expected.size(); step++) {
                    trainStep(opt, params, step, kind);
                    for (Map.Entry<String, NDArray> e : params.entrySet()) {
                        float[] want = floats(expected.get(step).get(e.getKey()));
                        float[] got = e.getValue().toFloatArray();
                        for (int i = 0; i < want.length; i++) {
                            assertEquals(
                                    want[i],
                                    got[i],
                                    2e-6 + 2e-6 * Math.abs(want[i]),
                                    kind + " step " + (step + 1) + " " + e.getKey() + "[" + i + "]");
                        }
                    }
                }
                assertEquals(expected.size(), opt.stepCount());
            }
        }
    }

    @Test
    void sgdNesterovMatchesTorch() {
        assertTrajectory("sgd_nesterov");
    }

    @Test
    void adamMatchesTorch() {
        assertTrajectory("adam");
    }

    @Test
    void adamWMatchesTorch() {
        assertTrajectory("adamw");
    }

    @Test
    void weightDecayOnlyOnDecayingGroups() {
        try (NDManager m = manager.newSubManager()) {
            ParameterGroups groups = groups(initialParams(m));
            try (Optimizer opt = Optimizers.sgd(groups, 0.01, 0.937, 5e-4, true)) {
                assertEquals(0.0, opt.weightDecay(0));
                assertEquals(5e-4, opt.weightDecay(1));
                assertEquals(0.0, opt.weightDecay(2));
                assertEquals("sgd-nesterov", opt.kind());
            }
            try (Optimizer opt = Optimizers.adamW(groups, 0.01, 0.937, 5e-3)) {
                assertThrows(UnsupportedOperationException.class, () -> opt.setMomentum(0, 0.9));
                assertEquals(0.937, opt.momentum(2));
            }
        }
    }

    /** Runs 6 steps straight, and 3 steps + save + fresh optimiser + load + 3 steps: the parameters must be equal bit for bit. */
    private static void assertResumeIsExact(String kind, Path dir) throws IOException {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> straight = initialParams(m);
            try (Optimizer opt = create(kind, groups(straight))) {
                for (int s = 0; s < 6; s++) trainStep(opt, straight, s, kind);
            }
            Map<String, NDArray> resumed = initialParams(m);
            Path file = dir.resolve(kind + ".safetensors");
            try (Optimizer opt = create(kind, groups(resumed))) {
                for (int s = 0; s < 3; s++) trainStep(opt, resumed, s, kind);
                opt.setWeightDecay(1, opt.weightDecay(1)); // unchanged, but proves the setter leaves state alone
                opt.save(file);
            }
            try (Optimizer opt = create(kind, groups(resumed))) {
                opt.setWeightDecay(1, 0.5); // overwritten by load: hyper-parameters are part of the state
                opt.load(file);
                assertEquals(ref.get("weight_decay").get(1).asDouble(), opt.weightDecay(1));
                assertEquals(3, opt.stepCount());
                assertFalse(opt.stateTensors().isEmpty());
                for (int s = 3; s < 6; s++) trainStep(opt, resumed, s, kind);
            }
            for (String k : straight.keySet()) {
                assertArrayEquals(
                        straight.get(k).toFloatArray(),
                        resumed.get(k).toFloatArray(),
                        kind + " " + k + " after resume");
            }
        }
    }

    @Test
    void saveLoadContinueEqualsUninterrupted(@TempDir Path dir) throws IOException {
        assertResumeIsExact("sgd_nesterov", dir);
        assertResumeIsExact("adam", dir);
        assertResumeIsExact("adamw", dir);
    }

    @Test
    void stateIsNamedByParameterAndChecked(@TempDir Path dir) throws IOException {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> params = initialParams(m);
            Path file = dir.resolve("adam.safetensors");
            try (Optimizer opt = create("adam", groups(params))) {
                trainStep(opt, params, 0, "adam");
                assertEquals(
                        List.of(
                                "exp_avg/p0",
                                "exp_avg/p1",
                                "exp_avg/p2",
                                "exp_avg_sq/p0",
                                "exp_avg_sq/p1",
                                "exp_avg_sq/p2"),
                        new ArrayList<>(opt.stateTensors().keySet()));
                opt.save(file);
            }
            try (Optimizer sgd = create("sgd_nesterov", groups(params))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.load(file));
                assertTrue(e.getMessage().contains("'adam'"), e.getMessage());
            }
            Map<String, NDArray> other = new LinkedHashMap<>(params);
            other.put("p1", m.zeros(new Shape(5)));
            try (Optimizer opt = create("adam", groups(other))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.load(file));
                assertTrue(e.getMessage().contains("exp_avg/p1 has shape (4)"), e.getMessage());
            }
        }
    }

    @Test
    void parameterWithoutGradientIsSkippedAndZeroGradClears() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> params = initialParams(m);
            NDArray unused = m.create(new float[] {1f, 2f});
            unused.setRequiresGradient(true);
            Map<String, NDArray> withUnused = new LinkedHashMap<>(params);
            withUnused.put("unused", unused);
            List<ParameterGroup> gs = new ArrayList<>(groups(params).groups());
            gs.set(1, new ParameterGroup("g1", true, Map.of("p1", params.get("p1"), "unused", unused)));
            try (Optimizer opt = Optimizers.sgd(new ParameterGroups(gs), 0.1, 0.9, 0.1, true)) {
                trainStep(opt, params, 1, "sgd_nesterov");
                assertArrayEquals(
                        new float[] {1f, 2f},
                        unused.toFloatArray(),
                        "never reached by backward: untouched, as in torch");
                assertFalse(opt.stateTensors().containsKey("momentum_buffer/unused"));
                assertTrue(params.get("p0").getGradient().abs().sum().getFloat() > 0);
                opt.zeroGrad();
                for (NDArray p : params.values())
                    assertEquals(0f, p.getGradient().abs().sum().getFloat());
            }
        }
    }

    @Test
    void stepKeepsNativeArraysBounded() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> params = initialParams(m);
            try (Optimizer opt = create("adamw", groups(params))) {
                trainStep(opt, params, 0, "adamw");
                Function<NDManager, Integer> count = mm -> mm.getManagedArrays().size();
                int before = count.apply(m);
                for (int s = 1; s < 6; s++) trainStep(opt, params, s, "adamw");
                assertEquals(before, count.apply(m), "arrays left on the parameters' manager by steps");
            }
        }
    }
}
