package io.dydet.engine.check;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The convolution shapes the engine check runs: {@code forward} ones (inference, every mode but training) and
 * {@code training} ones (forward and backward). The built-in suite holds every distinct convolution of the model
 * family at the sizes dydet is used at (listed in its header, kept equal to the models by a test); {@code dydet
 * doctor --model|--cfg|--weights} checks any other model's shapes. Text format, one shape a line:
 * {@code forward|training in out kernel stride padding height width}; {@code #} starts a comment.
 */
public record ConvSuite(List<ConvShape> forward, List<ConvShape> training) {
    public static final String BUILT_IN = "conv-suite.txt";

    public ConvSuite {
        forward = List.copyOf(new LinkedHashSet<>(forward));
        training = List.copyOf(new LinkedHashSet<>(training));
    }

    public static ConvSuite builtIn() {
        return parse(builtInText(), "built-in " + BUILT_IN);
    }

    /** The built-in suite's text (the fingerprint digests it, so a cached verdict needs no parsing). */
    public static String builtInText() {
        try (InputStream in = ConvSuite.class.getResourceAsStream(BUILT_IN)) {
            if (in == null)
                throw new IllegalStateException("the engine check's suite " + BUILT_IN + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the engine check's suite: " + e.getMessage(), e);
        }
    }

    public static ConvSuite read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    public static ConvSuite parse(String text, String source) {
        List<ConvShape> fwd = new ArrayList<>(), train = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] f = line.split("\\s+");
            try {
                if (f.length != 8) throw new IllegalArgumentException("expected 8 fields, found " + f.length);
                ConvShape c = new ConvShape(
                        Integer.parseInt(f[1]),
                        Integer.parseInt(f[2]),
                        Integer.parseInt(f[3]),
                        Integer.parseInt(f[4]),
                        Integer.parseInt(f[5]),
                        Long.parseLong(f[6]),
                        Long.parseLong(f[7]));
                switch (f[0]) {
                    case "forward" -> fwd.add(c);
                    case "training" -> train.add(c);
                    default -> throw new IllegalArgumentException("expected forward or training, found '" + f[0] + "'");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        source + ", line " + (i + 1) + ": " + e.getMessage()
                                + " (expected: forward|training in out kernel stride padding height width)",
                        e);
            }
        }
        return new ConvSuite(fwd, train);
    }

    public String format(String header) {
        StringBuilder b = new StringBuilder();
        for (String h : header.split("\n")) b.append("# ").append(h).append('\n');
        append(b, "forward", forward);
        append(b, "training", training);
        return b.toString();
    }

    private static void append(StringBuilder b, String kind, List<ConvShape> shapes) {
        for (ConvShape c : shapes) {
            b.append(kind)
                    .append(' ')
                    .append(c.in())
                    .append(' ')
                    .append(c.out())
                    .append(' ')
                    .append(c.kernel())
                    .append(' ')
                    .append(c.stride())
                    .append(' ')
                    .append(c.padding())
                    .append(' ')
                    .append(c.height())
                    .append(' ')
                    .append(c.width())
                    .append('\n');
        }
    }

    /** Whether this suite holds every shape of {@code other}. */
    public boolean covers(ConvSuite other) {
        Set<ConvShape> f = Set.copyOf(forward), t = Set.copyOf(training);
        return f.containsAll(other.forward) && t.containsAll(other.training);
    }
}
