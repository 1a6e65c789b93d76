package io.dydet.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A panel's band is shaded between its bounds and nowhere else. */
class PlotsTest {
    @TempDir
    Path dir;

    @Test
    void bandShadesBetweenItsBoundsInTheSeriesColour() throws Exception {
        double[] x = {0, 1, 2, 3, 4};
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("mean", new double[] {0.5, 0.5, 0.5, 0.5, 0.5});
        // x given out of order is drawn in x order: the band must still be one strip from 0.4 to 0.6
        Plots.Band band =
                new Plots.Band(new double[] {0.4, 0.4, 0.4, 0.4, 0.4}, new double[] {0.6, 0.6, 0.6, 0.6, 0.6});
        double[] shuffledX = {2, 0, 4, 1, 3};
        Map<String, double[]> frame = new LinkedHashMap<>(series);
        frame.put("frame", new double[] {0, 1, Double.NaN, Double.NaN, Double.NaN}); // widens y to [0, 1]
        Path png = dir.resolve("p.png");
        Plots.panels(png, "t", List.of(new Plots.Panel("band", shuffledX, frame, Map.of("mean", band))), 1);
        BufferedImage img = ImageIO.read(png.toFile());
        // panel 0 plots x in [l, r] = [55, 318], y in [t, b] = [64, 250]; y 0.45 and 0.25 at x = 2.5
        int px = 55 + (int) Math.round(2.5 / 4 * 263);
        int inside = img.getRGB(px, 64 + (int) Math.round(0.55 * 186)),
                outside = img.getRGB(px, 64 + (int) Math.round(0.75 * 186));
        Color in = new Color(inside), out = new Color(outside);
        assertEquals(Color.WHITE, out);
        // the first colour (31, 119, 180) at alpha 60 over white
        assertTrue(in.getBlue() > in.getRed() && in.getRed() < 235 && in.getBlue() > 225, in.toString());
        assertThrows(IllegalArgumentException.class, () -> new Plots.Panel("p", x, series, Map.of("other", band)));
    }
}
