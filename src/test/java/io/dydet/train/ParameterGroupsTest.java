package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.Section;
import io.dydet.nn.ParamSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The original's groups over a real dy-yolov7 (width 0.25) model, and the step-2 router-only groups. */
class ParameterGroupsTest {
    private static NDManager manager;
    private static DynamicDetModel dynamic;

    @BeforeAll
    static void setUp() {
        Engines.start(1);
        manager = NDManager.newBaseManager(Device.cpu());
        dynamic = DynamicDetModel.initialized(
                Network.build(ModelSpec.builtIn("dy-yolov7").withWidth(0.25)), manager, 1);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void threeGroupsCoverEveryTrainableTensorOnce() {
        ParameterGroups groups = ParameterGroups.of(dynamic);
        assertEquals(
                List.of("no-decay weights", "decay weights", "biases"),
                groups.groups().stream().map(ParameterGroup::name).toList());
        assertEquals(
                List.of(false, true, false),
                groups.groups().stream().map(ParameterGroup::decays).toList());
        // 184 BatchNorm gammas + 12 implicit; 190 conv kernels + 6 IDetect + ... see the model's key patterns
        assertEquals(
                196, groups.get(0).size(), "BN gammas (158 + 14 SPPCSPC + 2x6 RepConv) + 6 ImplicitA + 6 ImplicitM");
        assertEquals(197, groups.get(1).size(), "conv kernels (163 + 14 + 2x6 RepConv) + 6 IDetect + 2 router");
        assertEquals(197, groups.get(2).size(), "BN betas (184) + 5 CBLinear + 6 IDetect + 2 router biases");
        Set<String> trainable = dynamic.network().stateDictSpec().stream()
                .filter(ParamSpec::trainable)
                .map(ParamSpec::name)
                .collect(Collectors.toSet());
        assertEquals(trainable, groups.parameters().keySet(), "every trainable tensor in exactly one group");
        assertEquals(
                trainable.size(),
                groups.get(0).size() + groups.get(1).size() + groups.get(2).size());
        String det = dynamic.network().detectNode(Section.D2).prefix(); // e.g. model_h2.<n>.
        Map<String, Integer> expected = Map.ofEntries(
                Map.entry("model_b.0.conv.weight", 1),
                Map.entry("model_b.0.bn.weight", 0),
                Map.entry("model_b.0.bn.bias", 2),
                Map.entry("model_b2.0.conv.weight", 1),
                Map.entry("model_b2.0.conv.bias", 2),
                Map.entry(det + "m.0.weight", 1),
                Map.entry(det + "m.0.bias", 2),
                Map.entry(det + "ia.0.implicit", 0),
                Map.entry(det + "im.2.implicit", 0),
                Map.entry("router.layer1.weight", 1),
                Map.entry("router.layer2.bias", 2));
        expected.forEach((name, g) -> assertEquals(g, groups.groupOf(name), name));
        // RepConv: the Sequential's conv (.0.weight) decays, its BatchNorm (.1.weight/.bias) does not
        String repConv = trainable.stream()
                .filter(n -> n.endsWith("rbr_dense.0.weight"))
                .findFirst()
                .orElseThrow();
        String prefix = repConv.substring(0, repConv.length() - "0.weight".length());
        assertEquals(1, groups.groupOf(repConv));
        assertEquals(0, groups.groupOf(prefix + "1.weight"));
        assertEquals(2, groups.groupOf(prefix + "1.bias"));
        for (String n : groups.get(0).parameters().keySet())
            assertTrue(n.endsWith("implicit") || n.endsWith("weight"), n);
        for (String n : groups.get(2).parameters().keySet()) assertTrue(n.endsWith(".bias"), n);
        assertEquals(-1, groups.groupOf("model_b.0.bn.running_mean"));
        assertTrue(
                groups.get(0).parameters().get("model_b.0.bn.weight")
                        == dynamic.stateDict().get("model_b.0.bn.weight"),
                "the groups hold the model's own arrays");
    }

    @Test
    void routerOnlyGroupsForStep2() {
        ParameterGroups groups = ParameterGroups.routerOnly(dynamic);
        assertEquals(2, groups.size());
        assertEquals(
                Set.of("router.layer1.weight", "router.layer2.weight"),
                groups.get(0).parameters().keySet());
        assertEquals(
                Set.of("router.layer1.bias", "router.layer2.bias"),
                groups.get(1).parameters().keySet());
        assertTrue(groups.get(0).decays());
        assertFalse(groups.get(1).decays());
        try (Optimizer opt = Optimizers.adamW(groups, 1e-5, 0.937, 0.005)) {
            assertEquals(0.005, opt.weightDecay(0));
            assertEquals(0.0, opt.weightDecay(1));
        }
    }

    @Test
    void includeFilterAndModelsWithoutRouter() {
        ParameterGroups backboneOnly = ParameterGroups.of(dynamic, n -> n.startsWith("model_b."));
        assertTrue(backboneOnly.parameters().keySet().stream().allMatch(n -> n.startsWith("model_b.")));
        assertTrue(backboneOnly.get(1).size() > 0);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            DynamicDetModel step1 = DynamicDetModel.initialized(
                    Network.build(ModelSpec.builtIn("dy-yolov7-step1").withWidth(0.25)), m, 1);
            assertEquals(195, ParameterGroups.of(step1).get(1).size(), "no router kernels in step 1");
            assertThrows(IllegalArgumentException.class, () -> ParameterGroups.routerOnly(step1));
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> new ParameterGroups(List.of(
                        new ParameterGroup(
                                "a", false, Map.of("x", dynamic.stateDict().get("router.layer1.bias"))),
                        new ParameterGroup(
                                "b", false, Map.of("x", dynamic.stateDict().get("router.layer1.bias"))))));
    }
}
