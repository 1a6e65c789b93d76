package io.dydet.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** bf16 training is refused by name on a CPU without bfloat16 instructions. */
class TrainingPrecisionTest {
    @Test
    void aCpuWithoutBFloat16InstructionsIsRefusedByName() {
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> Engines.requireBFloat16Instructions(
                        Set.of("avx2", "avx512f", "avx512bw"), "AMD EPYC 7B13", "training in bf16"));
        assertTrue(e.getMessage().contains("AMD EPYC 7B13"), e.getMessage());
        assertTrue(e.getMessage().contains("training in bf16 is refused"), e.getMessage());
        assertTrue(e.getMessage().contains("avx512_bf16"), e.getMessage());
    }

    @Test
    void avx512Bf16OrAmxIsEnough() {
        assertDoesNotThrow(() -> Engines.requireBFloat16Instructions(Set.of("avx512_bf16"), "Zen 4", "x"));
        assertDoesNotThrow(() -> Engines.requireBFloat16Instructions(Set.of("amx_bf16", "amx_tile"), "Xeon", "x"));
    }
}
