package io.dydet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.testing.Golden;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parameter counts and FLOPs of the full-size models equal the reference counts in golden/flops.json. */
class ModelInfoTest {
    static JsonNode flops() throws IOException {
        return new ObjectMapper().readTree(Golden.file("flops.json").toFile());
    }

    @ParameterizedTest
    @CsvSource({"dy-yolov7, 640", "dy-yolov7x, 640", "dy-yolov7-w6, 1280"})
    void builtInDefinitionsHaveTheReferenceParametersAndGflops(String model, int size) throws IOException {
        JsonNode ref = flops().get(model);
        Network net = Network.build(ModelSpec.builtIn(model));
        ModelInfo info = ModelInfo.of(net, size);
        Map<String, Long> p = info.params();
        assertEquals(ref.at("/params/model_b").asLong(), p.get("b1"), "b1");
        assertEquals(ref.at("/params/model_b2").asLong(), p.get("b2"), "b2");
        assertEquals(ref.at("/params/model_h").asLong(), p.get("head1"), "head1");
        assertEquals(ref.at("/params/model_h2").asLong(), p.get("head2"), "head2");
        assertEquals(ref.at("/params/router").asLong(), p.get("router"), "router");
        assertEquals(ref.at("/params_total").asLong(), info.totalParams(), "total");
        assertEquals(ref.at("/params_easy_route").asLong(), info.route1Params(), "route 1");
        assertEquals(ref.at("/params_hard_route").asLong(), info.route2Params(), "route 2");
        assertEquals(
                ref.at("/fused/easy/gflops_conv_linear").asDouble(), info.route1Gflops(), 0.0005, "route 1 GFLOPs");
        assertEquals(
                ref.at("/fused/hard/gflops_conv_linear").asDouble(), info.route2Gflops(), 0.0005, "route 2 GFLOPs");
        // exact multiply-accumulates per part, fused and unfused
        for (String form : new String[] {"fused", "unfused"}) {
            Network n = form.equals("fused") ? net.fused() : net;
            Map<Section, Long> macs = n.macs(size, size);
            assertEquals(
                    ref.at("/" + form + "/hard/macs_by_part/model_b").asLong(),
                    macs.get(Section.B1),
                    form + " B1 MACs");
            assertEquals(
                    ref.at("/" + form + "/hard/macs_by_part/model_b2").asLong(),
                    macs.get(Section.DUAL),
                    form + " B2 MACs");
            assertEquals(
                    ref.at("/" + form + "/easy/macs_by_part/model_h").asLong(),
                    macs.get(Section.D1),
                    form + " D1 MACs");
            assertEquals(
                    ref.at("/" + form + "/hard/macs_by_part/model_h2").asLong(),
                    macs.get(Section.D2),
                    form + " D2 MACs");
            assertEquals(
                    ref.at("/" + form + "/easy/macs_by_part/router").asLong(),
                    n.router().macs(),
                    form + " router MACs");
        }
    }

    @ParameterizedTest
    @CsvSource({"dy-yolov7-w025", "dy-yolov7x-w025", "dy-yolov7-w6-w025"})
    void goldenDefinitionsHaveTheGoldenPartSizes(String golden) throws IOException {
        JsonNode params = new ObjectMapper()
                .readTree(Golden.file(golden + ".meta.json").toFile())
                .at("/model/params");
        Map<String, Long> p =
                Network.build(ModelSpec.load(Golden.file(golden + ".yaml"))).parameterCounts();
        assertEquals(params.get("model_b").asLong(), p.get("b1"));
        assertEquals(params.get("model_b2").asLong(), p.get("b2"));
        assertEquals(params.get("model_h").asLong(), p.get("head1"));
        assertEquals(params.get("model_h2").asLong(), p.get("head2"));
        assertEquals(params.get("router").asLong(), p.get("router"));
    }
}
