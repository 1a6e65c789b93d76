package io.dydet.runs;

import io.dydet.files.AtomicFile;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.geom.PathIterator;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** Small PNG line charts drawn with Java2D (headless), for the files a run leaves behind. */
public final class Plots {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {}

    /** Graphics over {@code img}, antialiased, the whole image filled white. */
    public static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }

    /** Writes {@code img} as a PNG, atomically. */
    public static void writePng(Path png, BufferedImage img) throws IOException {
        AtomicFile.write(png, out -> ImageIO.write(img, "png", out));
    }

    /** A line with markers and point labels; written atomically. */
    public static void line(
            Path png, String title, String xLabel, String yLabel, double[] x, double[] y, String[] labels)
            throws IOException {
        int w = 800, h = 560, left = 100, right = 60, top = 50, bottom = 70;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
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
        writePng(png, img);
    }

    /** A shaded range around a series, e.g. mean +- sd; a point where either bound is NaN is left out. */
    public record Band(double[] low, double[] high) {}

    /**
     * One small chart of a grid: a title and named series over a shared x. NaN points are left out. {@code bands}
     * shades a range in the colour of the series of the same name (drawn under every line).
     */
    public record Panel(String title, double[] x, Map<String, double[]> series, Map<String, Band> bands) {
        public Panel {
            for (String name : bands.keySet()) {
                if (!series.containsKey(name))
                    throw new IllegalArgumentException("band '" + name + "' has no series of that name");
            }
        }

        public Panel(String title, double[] x, Map<String, double[]> series) {
            this(title, x, series, Map.of());
        }
    }

    /** Small line charts in a grid (e.g. results.png: losses and metrics per epoch); written atomically. */
    public static void panels(Path png, String title, List<Panel> panels, int columns) throws IOException {
        int pw = 330, ph = 240, top = 40;
        int rows = (panels.size() + columns - 1) / columns;
        BufferedImage img = new BufferedImage(pw * columns, top + ph * rows, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 12, 26);
        Color[] colours = {
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40)
        };
        for (int p = 0; p < panels.size(); p++) {
            Panel panel = panels.get(p);
            int ox = (p % columns) * pw, oy = top + (p / columns) * ph;
            int l = ox + 55, r = ox + pw - 12, t = oy + 24, b = oy + ph - 30;
            double x0 = Double.POSITIVE_INFINITY,
                    x1 = Double.NEGATIVE_INFINITY,
                    y0 = Double.POSITIVE_INFINITY,
                    y1 = Double.NEGATIVE_INFINITY;
            List<double[]> all = new ArrayList<>(panel.series().values());
            for (Band band : panel.bands().values()) {
                all.add(band.low());
                all.add(band.high());
            }
            for (double[] ys : all) {
                for (int i = 0; i < ys.length; i++) {
                    if (Double.isNaN(ys[i])) continue;
                    x0 = Math.min(x0, panel.x()[i]);
                    x1 = Math.max(x1, panel.x()[i]);
                    y0 = Math.min(y0, ys[i]);
                    y1 = Math.max(y1, ys[i]);
                }
            }
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(panel.title(), l, oy + 16);
            g.drawRect(l, t, r - l, b - t);
            if (x0 > x1) continue; // nothing to draw yet
            if (x1 == x0) x1 = x0 + 1;
            if (y1 == y0) y1 = y0 + 1e-6;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            g.drawString(String.format("%.3g", y1), ox + 4, t + 8);
            g.drawString(String.format("%.3g", y0), ox + 4, b);
            g.drawString(String.format("%.0f", x0), l, b + 14);
            g.drawString(String.format("%.0f", x1), r - 20, b + 14);
            int c = 0;
            List<int[]> segments =
                    new ArrayList<>(); // drawn lines and band edges, for placing the legend where they are not
            for (var e : panel.series().entrySet()) {
                Band band = panel.bands().get(e.getKey());
                Color colour = colours[c++ % colours.length];
                if (band == null) continue;
                g.setColor(new Color(colour.getRed(), colour.getGreen(), colour.getBlue(), 60));
                Path2D shape = bandShape(panel.x(), band, l, r, t, b, x0, x1, y0, y1);
                g.fill(shape);
                double[] prev = null, at = new double[6];
                for (PathIterator it = shape.getPathIterator(null); !it.isDone(); it.next()) {
                    int type = it.currentSegment(at);
                    if (type == PathIterator.SEG_LINETO && prev != null)
                        segments.add(new int[] {(int) prev[0], (int) prev[1], (int) at[0], (int) at[1]});
                    prev = new double[] {at[0], at[1]};
                }
            }
            c = 0;
            for (var e : panel.series().entrySet()) {
                double[] ys = e.getValue();
                g.setColor(colours[c++ % colours.length]);
                g.setStroke(new BasicStroke(2f));
                int lastX = -1, lastY = -1;
                for (int i = 0; i < ys.length; i++) {
                    if (Double.isNaN(ys[i])) continue;
                    int px = (int) Math.round(l + (panel.x()[i] - x0) / (x1 - x0) * (r - l));
                    int py = (int) Math.round(t + (y1 - ys[i]) / (y1 - y0) * (b - t));
                    if (lastX >= 0) {
                        g.drawLine(lastX, lastY, px, py);
                        segments.add(new int[] {lastX, lastY, px, py});
                    }
                    if (ys.length <= 60) g.fillOval(px - 2, py - 2, 5, 5);
                    lastX = px;
                    lastY = py;
                }
            }
            if (panel.series().size() > 1) legend(g, panel, colours, segments, l, r, t, b);
        }
        g.dispose();
        writePng(png, img);
    }

    /** The band as one polygon: the high bound left to right, then the low bound back, in x order. */
    private static Path2D bandShape(
            double[] x, Band band, int l, int r, int t, int b, double x0, double x1, double y0, double y1) {
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < x.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble(i -> x[i]));
        List<Integer> kept = new ArrayList<>();
        for (int i : order) if (!Double.isNaN(band.low()[i]) && !Double.isNaN(band.high()[i])) kept.add(i);
        Path2D.Double shape = new Path2D.Double();
        if (kept.isEmpty()) return shape;
        for (int j = 0; j < 2 * kept.size(); j++) {
            int i = j < kept.size() ? kept.get(j) : kept.get(2 * kept.size() - 1 - j);
            double v = j < kept.size() ? band.high()[i] : band.low()[i];
            double px = l + (x[i] - x0) / (x1 - x0) * (r - l), py = t + (y1 - v) / (y1 - y0) * (b - t);
            if (j == 0) shape.moveTo(px, py);
            else shape.lineTo(px, py);
        }
        shape.closePath();
        return shape;
    }

    /**
     * Series names on a white box: a line sample each, over a shaded box for a band. The box goes in the plot corner
     * that the fewest drawn lines cross (top-left first on ties).
     */
    private static void legend(
            Graphics2D g, Panel panel, Color[] colours, List<int[]> segments, int l, int r, int t, int b) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        int width = 0;
        for (String name : panel.series().keySet())
            width = Math.max(width, g.getFontMetrics().stringWidth(name));
        int line = 12, w = width + 30, h = line * panel.series().size() + 4;
        int[][] corners = {{l + 4, t + 4}, {r - 4 - w, t + 4}, {r - 4 - w, b - 4 - h}, {l + 4, b - 4 - h}};
        int x = corners[0][0], y = corners[0][1], best = Integer.MAX_VALUE;
        for (int[] corner : corners) {
            int hits = 0;
            for (int[] sgm : segments) {
                for (int step = 0; step <= 20; step++) { // points along the segment inside the box
                    double px = sgm[0] + (sgm[2] - sgm[0]) * step / 20.0, py = sgm[1] + (sgm[3] - sgm[1]) * step / 20.0;
                    if (px >= corner[0] && px <= corner[0] + w && py >= corner[1] && py <= corner[1] + h) hits++;
                }
            }
            if (hits < best) {
                best = hits;
                x = corner[0];
                y = corner[1];
            }
        }
        g.setColor(new Color(255, 255, 255, 220));
        g.fillRect(x, y, w, h);
        g.setColor(Color.LIGHT_GRAY);
        g.drawRect(x, y, w, h);
        int c = 0, row = 0;
        for (String name : panel.series().keySet()) {
            Color colour = colours[c++ % colours.length];
            int yy = y + 2 + line * row++ + line / 2;
            if (panel.bands().containsKey(name)) {
                g.setColor(new Color(colour.getRed(), colour.getGreen(), colour.getBlue(), 60));
                g.fillRect(x + 4, yy - 4, 18, 8);
            }
            g.setColor(colour);
            g.setStroke(new BasicStroke(2f));
            g.drawLine(x + 4, yy, x + 22, yy);
            g.drawString(name, x + 26, yy + 4);
        }
    }

    /**
     * A strip chart: one column of points per group (spread sideways by a fixed pattern, so the picture is the
     * same on every run) with the group's mean as a bar; written atomically.
     */
    public static void strip(Path png, String title, String yLabel, Map<String, double[]> groups) throws IOException {
        int w = 640, h = 520, left = 90, right = 30, top = 50, bottom = 60;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        double y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (double[] v : groups.values())
            for (double d : v)
                if (!Double.isNaN(d)) {
                    y0 = Math.min(y0, d);
                    y1 = Math.max(y1, d);
                }
        if (y0 > y1) {
            y0 = 0;
            y1 = 1;
        }
        if (y1 == y0) y1 = y0 + 1e-6;
        double pad = (y1 - y0) * 0.08;
        y0 -= pad;
        y1 += pad;
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, w - left - right, h - top - bottom);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 20, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int i = 0; i <= 5; i++) {
            double v = y1 - (y1 - y0) * i / 5;
            int yy = top + (h - top - bottom) * i / 5;
            g.drawString(String.format("%.3f", v), 30, yy + 5);
        }
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -h / 2 - 40, 18);
        g.rotate(Math.PI / 2);
        Color[] colours = {
            new Color(44, 160, 44), new Color(214, 39, 40), new Color(31, 119, 180), new Color(255, 127, 14)
        };
        int k = 0, n = groups.size(), span = (w - left - right) / Math.max(n, 1);
        for (var e : groups.entrySet()) {
            int cx = left + span * k + span / 2;
            Color c = colours[k % colours.length];
            double[] v = e.getValue();
            double sum = 0;
            int count = 0;
            g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 150));
            for (int i = 0; i < v.length; i++) {
                if (Double.isNaN(v[i])) continue;
                int dx = (int) Math.round(((i * 0.6180339887) % 1.0 - 0.5) * span * 0.5);
                int py = (int) Math.round(top + (y1 - v[i]) / (y1 - y0) * (h - top - bottom));
                g.fillOval(cx + dx - 4, py - 4, 8, 8);
                sum += v[i];
                count++;
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(3f));
            if (count > 0) {
                int my = (int) Math.round(top + (y1 - sum / count) / (y1 - y0) * (h - top - bottom));
                g.drawLine(cx - span / 3, my, cx + span / 3, my);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            String label = e.getKey() + " (" + count + (count > 0 ? String.format(", mean %.3f)", sum / count) : ")");
            g.drawString(label, cx - g.getFontMetrics().stringWidth(label) / 2, h - bottom + 25);
            k++;
        }
        g.dispose();
        writePng(png, img);
    }

    /** A heat map of values in [0, 1] with row and column labels (confusion matrices). */
    public static void heatmap(
            Path png, String title, String rowAxis, String colAxis, double[][] v, List<String> labels)
            throws IOException {
        int n = v.length;
        int cell = Math.max(6, Math.min(40, 900 / Math.max(n, 1)));
        int left = 140, top = 60, size = cell * n;
        int w = left + size + 40, h = top + size + 140;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
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
        writePng(png, img);
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
