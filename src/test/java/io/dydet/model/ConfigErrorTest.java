package io.dydet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.testing.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broken model definition gets an error that names the file, the section, the row and what was expected. */
class ConfigErrorTest {
    @TempDir
    Path dir;

    private Path goldenCfgWith(String from, String to) throws IOException {
        String text = Files.readString(Golden.file("dy-yolov7-w025.yaml"));
        assertTrue(text.contains(from), "fixture text not found: " + from);
        Path p = dir.resolve("broken.yaml");
        Files.writeString(
                p,
                text.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to)));
        return p;
    }

    @Test
    void goldenDefinitionBuildsWithTheGoldenKeyCount() {
        Network net = Network.build(ModelSpec.load(Golden.file("dy-yolov7-w025.yaml")));
        assertEquals(1146, net.stateDictSpec().size());
        assertEquals(java.util.List.of(8, 16, 32), net.strides());
    }

    @Test
    void unknownModuleNamesFileSectionIndexAndKnownModules() throws IOException {
        Path p = goldenCfgWith("[[-1, 1, Conv, [32, 3, 1]],  # 0", "[[-1, 1, MaxPoolX, [32, 3, 1]],  # 0");
        ConfigException e = assertThrows(ConfigException.class, () -> Network.build(ModelSpec.load(p)));
        String msg = e.getMessage();
        assertTrue(msg.contains(p.toString()), msg);
        assertTrue(msg.contains("section 'backbone'") && msg.contains("row 0:"), msg);
        assertTrue(msg.contains("unknown module 'MaxPoolX'"), msg);
        assertTrue(
                msg.contains(
                        "known modules: Conv, MP, SPPCSPC, RepConv, ReOrg, Concat, nn.Upsample, CBLinear, CBFuse, IDetect"),
                msg);
    }

    @Test
    void badFromIndexIsNamed() throws IOException {
        Path p = goldenCfgWith(
                "[37, 1, Conv, [256, 1, 1]], # route backbone P4", "[77, 1, Conv, [256, 1, 1]], # route backbone P4");
        ConfigException e = assertThrows(ConfigException.class, () -> Network.build(ModelSpec.load(p)));
        assertTrue(
                e.getMessage().contains("section 'head', row 3")
                        && e.getMessage().contains("bad from index 77"),
                e.getMessage());
        assertTrue(e.getMessage().contains("'backbone' has layers 0..50"), e.getMessage());
    }

    @Test
    void negativeFromBeforeTheSectionStartIsNamed() throws IOException {
        Path p = goldenCfgWith("[[-1, -3, -5, -6], 1, Concat, [1]],", "[[-1, -3, -5, -60], 1, Concat, [1]],");
        ConfigException e = assertThrows(ConfigException.class, () -> Network.build(ModelSpec.load(p)));
        assertTrue(
                e.getMessage().contains("section 'backbone', row 10")
                        && e.getMessage().contains("bad from index -60"),
                e.getMessage());
    }

    @Test
    void routerChannelsMustMatchTheLayersTheyRead() throws IOException {
        Path p = goldenCfgWith("router_channels: [16, 64, 128, 256, 256]", "router_channels: [16, 64, 128, 256, 1024]");
        ConfigException e = assertThrows(ConfigException.class, () -> Network.build(ModelSpec.load(p)));
        assertTrue(
                e.getMessage().contains("router_channels[4] = 1024 but backbone layer 50 has 256 channels"),
                e.getMessage());
    }

    @Test
    void unscaledCompositeConnectionsAreExplained() throws IOException {
        Path p = goldenCfgWith("[2, 1, CBLinear, [[16]]], # 0", "[2, 1, CBLinear, [[64]]], # 0");
        ConfigException e = assertThrows(ConfigException.class, () -> Network.build(ModelSpec.load(p)));
        assertTrue(
                e.getMessage().contains("section 'dual_backbone', row 7")
                        && e.getMessage().contains("64 channels but the target"),
                e.getMessage());
    }

    @Test
    void missingKeyAndBadYamlAreNamed() throws IOException {
        Path p = goldenCfgWith("nc: 80  # number of classes", "");
        ConfigException e = assertThrows(ConfigException.class, () -> ModelSpec.load(p));
        assertTrue(e.getMessage().contains("missing key 'nc'"), e.getMessage());
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "nc: 80\nbackbone: [[-1, 1, Conv, [32, 3, 1]]\n");
        ConfigException e2 = assertThrows(ConfigException.class, () -> ModelSpec.load(bad));
        assertTrue(
                e2.getMessage().contains(bad.toString()) && e2.getMessage().contains("not valid YAML"),
                e2.getMessage());
        ConfigException e3 = assertThrows(ConfigException.class, () -> ModelSpec.load(dir.resolve("absent.yaml")));
        assertTrue(e3.getMessage().contains("does not exist"), e3.getMessage());
    }

    @Test
    void malformedRowIsNamed() throws IOException {
        Path p = goldenCfgWith("[-1, 1, Conv, [64, 3, 2]],  # 1-P1/2", "[-1, Conv, [64, 3, 2]],  # 1-P1/2");
        ConfigException e = assertThrows(ConfigException.class, () -> ModelSpec.load(p));
        assertTrue(
                e.getMessage().contains("section 'backbone', row 1")
                        && e.getMessage().contains("expected [from, number, module, args]"),
                e.getMessage());
    }

    @Test
    void unknownBuiltInListsTheKnownOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> ModelSpec.builtIn("dy-yolov9"));
        assertTrue(e.getMessage().contains("dy-yolov7, dy-yolov7x, dy-yolov7-w6"), e.getMessage());
    }
}
