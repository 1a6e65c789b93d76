package io.dydet.data.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dydet.files.AtomicFile;
import io.dydet.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The label cache: per image path its checked size, labels, segments (or the problem that excluded it) and a
 * fingerprint of the image and label files (byte size and modification time). An entry is used only when the
 * fingerprint still matches, so an edited label file or a replaced image is checked again; a cache that cannot be
 * read or has another version is ignored and rebuilt. Written atomically (temporary file, then rename) so a crash
 * never leaves half a cache.
 */
final class LabelCache {
    private static final Logger LOG = LoggerFactory.getLogger(LabelCache.class);
    /** 2: an excluded image lists every problem (every malformed line), not only the first. */
    static final int VERSION = 2;

    private static final ObjectMapper JSON = Json.MAPPER;

    /** Size and modification time of the image and the label file (-1, -1 when there is no label file). */
    record Fingerprint(long imageBytes, long imageMtime, long labelBytes, long labelMtime) {
        static Fingerprint of(Path image, Path label) throws IOException {
            long lb = -1, lm = -1;
            try {
                lb = Files.size(label);
                lm = Files.getLastModifiedTime(label).toMillis();
            } catch (NoSuchFileException e) {
                // no label file: an image without objects
            }
            return new Fingerprint(
                    Files.size(image), Files.getLastModifiedTime(image).toMillis(), lb, lm);
        }
    }

    /** One image's check result; any {@code problems} ("file[:line]: reason") mean the image is excluded. */
    record Entry(
            Fingerprint fingerprint,
            int height,
            int width,
            float[][] labels,
            List<float[]> segments,
            int[] lines,
            List<String> problems) {
        static Entry excluded(Fingerprint fingerprint, List<String> problems) {
            return new Entry(fingerprint, 0, 0, null, null, null, List.copyOf(problems));
        }

        boolean isExcluded() {
            return !problems.isEmpty();
        }
    }

    private LabelCache() {}

    static Map<String, Entry> read(Path file) {
        Map<String, Entry> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) return out;
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || root.path("version").asInt(-1) != VERSION) {
                LOG.info("label cache {} has another version; rebuilding it", file);
                return out;
            }
            for (var it = root.path("images").fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode n = e.getValue();
                JsonNode fp = n.get("fingerprint");
                Fingerprint f = new Fingerprint(
                        fp.get(0).asLong(),
                        fp.get(1).asLong(),
                        fp.get(2).asLong(),
                        fp.get(3).asLong());
                if (n.has("problems")) {
                    List<String> problems = new ArrayList<>();
                    for (JsonNode p : n.get("problems")) problems.add(p.asText());
                    if (problems.isEmpty())
                        throw new IOException("entry " + e.getKey() + " is excluded without a reason");
                    out.put(e.getKey(), Entry.excluded(f, problems));
                    continue;
                }
                float[][] labels = floats2(n.get("labels"));
                List<float[]> segments = new ArrayList<>();
                for (JsonNode s : n.get("segments")) segments.add(s.isNull() ? null : floats(s));
                int[] lines = new int[labels.length];
                JsonNode ln = n.get("lines");
                for (int i = 0; i < lines.length; i++) lines[i] = ln.get(i).asInt();
                if (segments.size() != labels.length)
                    throw new IOException("entry " + e.getKey() + " has " + labels.length + " labels but "
                            + segments.size() + " segments");
                out.put(
                        e.getKey(),
                        new Entry(
                                f,
                                n.get("height").asInt(),
                                n.get("width").asInt(),
                                labels,
                                segments,
                                lines,
                                List.of()));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            LOG.warn("label cache {} is unreadable ({}); rebuilding it", file, e.toString());
            return new LinkedHashMap<>();
        }
    }

    static void write(Path file, Map<String, Entry> entries) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        ObjectNode images = root.putObject("images");
        for (var e : entries.entrySet()) {
            Entry x = e.getValue();
            ObjectNode n = images.putObject(e.getKey());
            Fingerprint f = x.fingerprint();
            n.putArray("fingerprint")
                    .add(f.imageBytes())
                    .add(f.imageMtime())
                    .add(f.labelBytes())
                    .add(f.labelMtime());
            if (x.isExcluded()) {
                ArrayNode problems = n.putArray("problems");
                for (String p : x.problems()) problems.add(p);
                continue;
            }
            n.put("height", x.height());
            n.put("width", x.width());
            ArrayNode labels = n.putArray("labels");
            for (float[] r : x.labels()) addAll(labels.addArray(), r);
            ArrayNode segs = n.putArray("segments");
            for (float[] s : x.segments()) {
                if (s == null) segs.addNull();
                else addAll(segs.addArray(), s);
            }
            ArrayNode lines = n.putArray("lines");
            for (int l : x.lines()) lines.add(l);
        }
        AtomicFile.write(file, JSON.writeValueAsBytes(root));
    }

    private static void addAll(ArrayNode a, float[] v) {
        for (float x : v) a.add(x);
    }

    private static float[] floats(JsonNode a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) a.get(i).asDouble();
        return v;
    }

    private static float[][] floats2(JsonNode a) {
        float[][] v = new float[a.size()][];
        for (int i = 0; i < v.length; i++) v[i] = floats(a.get(i));
        return v;
    }
}
