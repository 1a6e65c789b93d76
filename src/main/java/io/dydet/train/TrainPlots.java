package io.dydet.train;

import io.dydet.data.train.TrainBatch;
import io.dydet.files.AtomicFile;
import io.dydet.runs.Plots;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The pictures a YOLO user looks at first in a run folder: the first training batches with their boxes (to see
 * what augmentation did) and the label statistics (class counts, box sizes).
 */
final class TrainPlots {
    private TrainPlots() {}

    /** A grid of the batch's images (at most 16) with their target boxes and class ids; written atomically as JPEG. */
    static void batch(Path file, TrainBatch b, List<String> names) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int n = Math.min(b.size(), 16), cols = (int) Math.ceil(Math.sqrt(n)), rows = (n + cols - 1) / cols;
        double scale = Math.min(1.0, 1920.0 / (cols * Math.max(b.width(), b.height())));
        int cw = (int) Math.round(b.width() * scale), ch = (int) Math.round(b.height() * scale);
        BufferedImage img = new BufferedImage(cols * cw, rows * ch, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        for (int i = 0; i < n; i++) {
            byte[] bgr = b.imageBytes(i);
            BufferedImage one = new BufferedImage(b.width(), b.height(), BufferedImage.TYPE_INT_RGB);
            int[] rgb = new int[b.width() * b.height()];
            for (int p = 0; p < rgb.length; p++) {
                rgb[p] = ((bgr[3 * p + 2] & 0xff) << 16) | ((bgr[3 * p + 1] & 0xff) << 8) | (bgr[3 * p] & 0xff);
            }
            one.setRGB(0, 0, b.width(), b.height(), rgb, 0, b.width());
            int ox = (i % cols) * cw, oy = (i / cols) * ch;
            g.drawImage(one, ox, oy, cw, ch, null);
            g.setStroke(new BasicStroke(2f));
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
            for (float[] t : b.targets()) {
                if ((int) t[0] != i) continue;
                int cls = (int) t[1];
                g.setColor(Color.getHSBColor((cls * 0.137f) % 1f, 0.9f, 1f));
                int x = ox + (int) Math.round((t[2] - t[4] / 2) * cw),
                        y = oy + (int) Math.round((t[3] - t[5] / 2) * ch);
                int w = (int) Math.round(t[4] * cw), h = (int) Math.round(t[5] * ch);
                g.drawRect(x, y, w, h);
                g.drawString(
                        cls < names.size() ? names.get(cls) : Integer.toString(cls), x + 2, Math.max(y - 2, oy + 10));
            }
        }
        g.dispose();
        AtomicFile.write(file, out -> ImageIO.write(img, "jpg", out));
    }

    /** Class histogram and a scatter of box widths against heights (normalised); written atomically as PNG. */
    static void labels(Path file, float[][] classWidthHeight, List<String> names) throws IOException {
        int nc = names.size();
        int[] counts = new int[nc];
        for (float[] r : classWidthHeight) if ((int) r[0] < nc) counts[(int) r[0]]++;
        int w = 1200, h = 500;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Plots.canvas(img);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("instances per class (" + classWidthHeight.length + " boxes)", 20, 25);
        g.drawString("box width vs height (normalised)", 800, 25);
        int left = 40, right = 740, top = 40, bottom = h - 80;
        int max = 1;
        for (int c : counts) max = Math.max(max, c);
        double bw = (double) (right - left) / nc;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
        for (int c = 0; c < nc; c++) {
            int bh = (int) Math.round((double) counts[c] / max * (bottom - top));
            g.setColor(new Color(31, 119, 180));
            g.fillRect(left + (int) (c * bw), bottom - bh, Math.max(1, (int) bw - 1), bh);
            if (counts[c] > 0 && nc <= 100) {
                g.setColor(Color.DARK_GRAY);
                g.rotate(-Math.PI / 2);
                g.drawString(names.get(c), -(bottom + 75), left + (int) (c * bw + bw / 2) + 3);
                g.rotate(Math.PI / 2);
            }
        }
        g.setColor(Color.DARK_GRAY);
        g.drawString("max " + max, left, top - 2);
        g.drawRect(800, top, 360, 360);
        g.setColor(new Color(31, 119, 180, 90));
        for (float[] r : classWidthHeight)
            g.fillOval(800 + (int) (r[1] * 360) - 2, top + 360 - (int) (r[2] * 360) - 2, 4, 4);
        g.dispose();
        Plots.writePng(file, img);
    }
}
