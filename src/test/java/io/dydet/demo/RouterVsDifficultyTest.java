package io.dydet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dydet.data.Difficulty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouterVsDifficultyTest {
    @Test
    void aucCountsPairsWithTiesAsHalf() {
        // pairs (easy, hard): (0.9,0.2) win, (0.9,0.5) win, (0.5,0.2) win, (0.5,0.5) tie -> 3.5 / 4
        RouterVsDifficulty r = RouterVsDifficulty.of(new double[] {0.9, 0.5}, new double[] {0.2, 0.5});
        assertEquals(0.875, r.auc(), 1e-12);
        assertEquals(0.7, r.meanEasy(), 1e-12);
        assertEquals(0.35, r.meanHard(), 1e-12);
        assertTrue(r.separates());
        RouterVsDifficulty reversed = RouterVsDifficulty.of(new double[] {0.1}, new double[] {0.3, 0.2});
        assertEquals(0.0, reversed.auc(), 1e-12);
        assertFalse(reversed.separates());
    }

    @Test
    void bothDifficultiesAreNeeded() {
        assertThrows(IllegalArgumentException.class, () -> RouterVsDifficulty.of(new double[] {0.5}, new double[0]));
    }

    @Test
    void difficultyFileErrorsNameTheLine(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("difficulty.csv");
        Files.writeString(csv, "file,split,difficulty,objects\nval_00001,val,hard,7\nval_00002,val,medium,2\n");
        IOException e = assertThrows(IOException.class, () -> Difficulty.read(csv));
        assertTrue(e.getMessage().contains("difficulty.csv:3"), e.getMessage());
        Files.writeString(csv, "file,split,difficulty,objects\nval_00001,val,hard,7\nval_00002,val,easy,2\n");
        assertEquals(Map.of("val_00001", true, "val_00002", false), Difficulty.read(csv));
    }
}
