package io.dydet.runs;

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

/** Small PNG line charts drawn with Java2D (headless), for the files a run leaves behind. */
public final class Plots {
    private Plots() {}

    /** A line with markers and point labels; written atomically. */
    public static void line(Path png, String title, String xLabel, String yLabel, double[] x, double[] y, String[] labels) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 800, h = 560, left = 100, right = 60, top = 50, bottom = 70;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double x0 = min(x), x1 = max(x), y0 = min(y), y1 = max(y);
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) y1 = y0 + 1e-6;
        double padY = (y1 - y0) * 0.08;
        y0 -= padY;
        y1 += padY;
        g.setColor(new Color(230, 230, 230));
        for (int i = 0; i <= 5; i++) {
            int yy = top + (h - top - bottom) * i / 5;
            g.drawLine(left, yy, w - right, yy);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, w - left - right, h - top - bottom);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int i = 0; i <= 5; i++) {
            double v = y1 - (y1 - y0) * i / 5;
            int yy = top + (h - top - bottom) * i / 5;
            g.drawString(String.format("%.4f", v), 40, yy + 5);
            double xv = x0 + (x1 - x0) * i / 5;
            int xx = left + (w - left - right) * i / 5;
            g.drawString(String.format("%.1f", xv), xx - 15, h - bottom + 20);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.drawString(xLabel, w / 2 - 40, h - 20);
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -h / 2 - 20, 22);
        g.rotate(Math.PI / 2);
        g.setColor(new Color(31, 119, 180));
        g.setStroke(new BasicStroke(2.5f));
        int[] px = new int[x.length], py = new int[y.length];
        for (int i = 0; i < x.length; i++) {
            px[i] = (int) Math.round(left + (x[i] - x0) / (x1 - x0) * (w - left - right));
            py[i] = (int) Math.round(top + (y1 - y[i]) / (y1 - y0) * (h - top - bottom));
        }
        g.drawPolyline(px, py, x.length);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i < x.length; i++) {
            if (x.length <= 60) g.fillOval(px[i] - 4, py[i] - 4, 8, 8);
            if (labels != null && labels[i] != null) g.drawString(labels[i], px[i] + 6, py[i] - 6);
        }
        g.dispose();
        AtomicFiles.write(png, out -> ImageIO.write(img, "png", out));
    }

    /** A heat map of values in [0, 1] with row and column labels (confusion matrices). */
    public static void heatmap(Path png, String title, String rowAxis, String colAxis, double[][] v, List<String> labels) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int n = v.length;
        int cell = Math.max(6, Math.min(40, 900 / Math.max(n, 1)));
        int left = 140, top = 60, size = cell * n;
        int w = left + size + 40, h = top + size + 140;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < n; c++) {
                float x = (float) Math.max(0, Math.min(1, v[r][c]));
                g.setColor(new Color(1 - 0.8f * x, 1 - 0.55f * x, 1 - 0.2f * x));
                g.fillRect(left + c * cell, top + r * cell, cell, cell);
                if (cell >= 24 && v[r][c] > 0) {
                    g.setColor(x > 0.5 ? Color.WHITE : Color.DARK_GRAY);
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
                    g.drawString(String.format("%.2f", v[r][c]), left + c * cell + 2, top + r * cell + cell / 2 + 3);
                }
            }
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, size, size);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(7, Math.min(12, cell - 1))));
        for (int i = 0; i < n && labels != null && i < labels.size(); i++) {
            g.drawString(labels.get(i), 4, top + i * cell + cell / 2 + 4);
            Graphics2D r = (Graphics2D) g.create();
            r.translate(left + i * cell + cell / 2 + 4, top + size + 6);
            r.rotate(Math.PI / 2);
            r.drawString(labels.get(i), 0, 0);
            r.dispose();
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("rows: " + rowAxis + ", columns: " + colAxis, left, 50);
        g.dispose();
        AtomicFiles.write(png, out -> ImageIO.write(img, "png", out));
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double d : v) m = Math.min(m, d);
        return m;
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double d : v) m = Math.max(m, d);
        return m;
    }
}
