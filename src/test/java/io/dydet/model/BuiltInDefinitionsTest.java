package io.dydet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.dydet.nn.ParamSpec;
import io.dydet.testing.Golden;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.TensorEntry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** dydet's own definitions, scaled to width 0.25, yield exactly the original's state-dict keys, order and shapes. */
class BuiltInDefinitionsTest {
    private static List<String> keysAndShapes(List<ParamSpec> spec) {
        List<String> out = new ArrayList<>();
        for (ParamSpec p : spec)
            out.add(p.name() + " " + java.util.Arrays.toString(p.shape().getShape()));
        return out;
    }

    private static List<String> goldenKeysAndShapes(String golden) throws Exception {
        List<String> out = new ArrayList<>();
        try (SafeTensorsFile f = SafeTensors.open(Golden.file(golden + ".safetensors"))) {
            for (TensorEntry e : f.entries()) out.add(e.name() + " " + java.util.Arrays.toString(e.shape()));
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"dy-yolov7, dy-yolov7-w025", "dy-yolov7x, dy-yolov7x-w025", "dy-yolov7-w6, dy-yolov7-w6-w025"})
    void stepTwoDefinitionAtQuarterWidthHasTheGoldenKeysAndShapes(String model, String golden) throws Exception {
        Network net = Network.build(ModelSpec.builtIn(model).withWidth(0.25));
        List<String> want = goldenKeysAndShapes(golden);
        assertFalse(want.isEmpty());
        assertEquals(want, keysAndShapes(net.stateDictSpec()));
    }

    @ParameterizedTest
    @CsvSource({"dy-yolov7, dy-yolov7-w025", "dy-yolov7x, dy-yolov7x-w025", "dy-yolov7-w6, dy-yolov7-w6-w025"})
    void stepOneDefinitionIsTheStepTwoOneWithoutTheRouter(String model, String golden) throws Exception {
        Network net = Network.build(ModelSpec.builtIn(model + "-step1").withWidth(0.25));
        List<String> want = goldenKeysAndShapes(golden);
        want.removeIf(k -> k.startsWith("router."));
        assertEquals(want, keysAndShapes(net.stateDictSpec()));
        assertFalse(net.isDynamic());
    }

    @Test
    void quarterWidthDefinitionEqualsTheGoldenCfgLayerByLayer() {
        Network ours = Network.build(ModelSpec.builtIn("dy-yolov7").withWidth(0.25));
        Network golden = Network.build(ModelSpec.load(Golden.file("dy-yolov7-w025.yaml")));
        for (Section s : Section.values()) {
            assertEquals(golden.nodes(s).size(), ours.nodes(s).size(), s + " rows");
            for (int i = 0; i < ours.nodes(s).size(); i++) {
                assertEquals(golden.nodes(s).get(i), ours.nodes(s).get(i), s + " row " + i);
            }
        }
        assertEquals(golden.router(), ours.router());
    }

    @Test
    void goldenWeightsLoadIntoTheBuiltInDefinition() throws Exception {
        Engines();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu())) {
            DynamicDetModel model = ModelFiles.load(
                    Golden.file("dy-yolov7-w025.safetensors"),
                    ModelSpec.builtIn("dy-yolov7").withWidth(0.25),
                    m.newSubManager());
            assertEquals(1146, model.stateDict().size());
        }
    }

    private static void Engines() {
        io.dydet.engine.Engines.start(2);
    }
}
