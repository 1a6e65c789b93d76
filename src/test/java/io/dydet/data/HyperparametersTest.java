package io.dydet.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HyperparametersTest {
    @Test
    void theFileKeysRoundTripAndEditsGoThroughTheBuilder() throws IOException {
        Hyperparameters h = Hyperparameters.scratchP5();
        assertEquals(h, Hyperparameters.parse(h.toYaml(), "again"));
        assertEquals(h, h.toBuilder().build());
        Hyperparameters edited = h.toBuilder()
                .lr0(0.02)
                .copyPaste(0.5)
                .set("weight_decay", 0.001)
                .build();
        assertEquals(0.02, edited.lr0());
        assertEquals(0.5, edited.copyPaste());
        assertEquals(0.001, edited.weightDecay());
        assertEquals(h.mosaic(), edited.mosaic());
        assertNotEquals(h, edited);
        assertEquals(edited, h.with(Map.of("lr0", 0.02, "copy_paste", 0.5, "weight_decay", 0.001)));
        assertEquals(0.1, h.withLabelSmoothing(0.1).labelSmoothing());
    }

    @Test
    void errorsNameTheFileAndTheKey() {
        String yaml = Hyperparameters.scratchP5().toYaml();
        IOException e = assertThrows(
                IOException.class,
                () -> Hyperparameters.parse(yaml.replace("copy_paste: 0.0", "copy_paste: 2.0"), "my.yaml"));
        assertEquals("my.yaml: key 'copy_paste' is a probability, got 2.0", e.getMessage());
        e = assertThrows(
                IOException.class,
                () -> Hyperparameters.parse(yaml.replaceAll("(?m)^lr0:.*$", "lr0: fast"), "my.yaml"));
        assertEquals("my.yaml: key 'lr0' must be a number, got 'fast'", e.getMessage());
        e = assertThrows(IOException.class, () -> Hyperparameters.parse(yaml + "lr1: 0.1\n", "my.yaml"));
        assertTrue(e.getMessage().startsWith("my.yaml: unknown key(s) [lr1]"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> Hyperparameters.scratchP5().toBuilder().anchorT(1.0).build());
        assertThrows(
                IllegalArgumentException.class, () -> Hyperparameters.builder().set("lr_0", 1));
    }
}
