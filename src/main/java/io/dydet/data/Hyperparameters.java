package io.dydet.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training hyper-parameters under the original hyp YAML keys (design.md, Training step 1): optimiser and schedule, loss gains,
 * augmentation. dydet ships the original's three files as {@code scratch.p5}, {@code scratch.p6} and
 * {@code finetune-dynamic}. {@code labelSmoothing} is not a file key (the original takes it on the command line).
 */
public record Hyperparameters(
        double lr0, double lrf, double momentum, double weightDecay,
        double warmupEpochs, double warmupMomentum, double warmupBiasLr,
        double box, double cls, double clsPw, double obj, double objPw, double iouT, double anchorT, double flGamma,
        double hsvH, double hsvS, double hsvV, double degrees, double translate, double scale, double shear,
        double perspective, double flipud, double fliplr, double mosaic, double mixup, double copyPaste, double pasteIn,
        double labelSmoothing) {

    /** Every file key, in the original's order. */
    public static final List<String> KEYS = List.of("lr0", "lrf", "momentum", "weight_decay", "warmup_epochs", "warmup_momentum",
            "warmup_bias_lr", "box", "cls", "cls_pw", "obj", "obj_pw", "iou_t", "anchor_t", "fl_gamma", "hsv_h", "hsv_s", "hsv_v",
            "degrees", "translate", "scale", "shear", "perspective", "flipud", "fliplr", "mosaic", "mixup", "copy_paste", "paste_in");

    /** Keys of the original's files that dydet accepts and ignores (YOLOv7's {@code loss_ota}: the OTA loss is always used). */
    private static final List<String> IGNORED = List.of("loss_ota");

    /** Built-in names: {@code scratch.p5}, {@code scratch.p6}, {@code finetune-dynamic}. */
    public static final Map<String, String> BUILT_IN = Map.of(
            "scratch.p5", "hyp.scratch.p5.yaml",
            "scratch.p6", "hyp.scratch.p6.yaml",
            "finetune-dynamic", "hyp.finetune.dynamic.adam.yaml");

    public static Hyperparameters scratchP5() {
        return builtIn("scratch.p5");
    }

    public static Hyperparameters builtIn(String name) {
        String res = BUILT_IN.get(name);
        if (res == null) throw new IllegalArgumentException("no built-in hyper-parameters '" + name + "'; built in: " + BUILT_IN.keySet());
        try (InputStream in = Hyperparameters.class.getResourceAsStream("hyp/" + res)) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in " + res);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A built-in name or a YAML file. */
    public static Hyperparameters load(String nameOrFile) throws IOException {
        if (BUILT_IN.containsKey(nameOrFile)) return builtIn(nameOrFile);
        Path p = Path.of(nameOrFile);
        if (!Files.isRegularFile(p)) {
            throw new IOException("hyper-parameters '" + nameOrFile + "' is neither a file nor a built-in name " + BUILT_IN.keySet());
        }
        return parse(Files.readString(p, StandardCharsets.UTF_8), p.toString());
    }

    /** Parses a hyp YAML; every key of {@link #KEYS} is required, unknown keys are errors (a typo must not go unnoticed). */
    public static Hyperparameters parse(String yaml, String source) throws IOException {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (IOException e) {
            throw new IOException(source + " is not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(source + ": expected a mapping of hyper-parameters " + KEYS);
        Map<String, Double> v = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (var it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            if (IGNORED.contains(e.getKey())) continue;
            if (!KEYS.contains(e.getKey())) {
                unknown.add(e.getKey());
                continue;
            }
            if (!e.getValue().isNumber()) throw new IOException(source + ": key '" + e.getKey() + "' must be a number, got '" + e.getValue().asText() + "'");
            v.put(e.getKey(), e.getValue().doubleValue());
        }
        if (!unknown.isEmpty()) throw new IOException(source + ": unknown key(s) " + unknown + "; expected " + KEYS);
        List<String> missing = KEYS.stream().filter(k -> !v.containsKey(k)).toList();
        if (!missing.isEmpty()) throw new IOException(source + ": missing key(s) " + missing);
        Hyperparameters h = new Hyperparameters(v.get("lr0"), v.get("lrf"), v.get("momentum"), v.get("weight_decay"),
                v.get("warmup_epochs"), v.get("warmup_momentum"), v.get("warmup_bias_lr"), v.get("box"), v.get("cls"), v.get("cls_pw"),
                v.get("obj"), v.get("obj_pw"), v.get("iou_t"), v.get("anchor_t"), v.get("fl_gamma"), v.get("hsv_h"), v.get("hsv_s"),
                v.get("hsv_v"), v.get("degrees"), v.get("translate"), v.get("scale"), v.get("shear"), v.get("perspective"),
                v.get("flipud"), v.get("fliplr"), v.get("mosaic"), v.get("mixup"), v.get("copy_paste"), v.get("paste_in"), 0.0);
        h.check(source);
        return h;
    }

    private void check(String source) throws IOException {
        for (var e : asMap().entrySet()) {
            if (!Double.isFinite(e.getValue()) || e.getValue() < 0) throw new IOException(source + ": key '" + e.getKey() + "' must be a finite number >= 0, got " + e.getValue());
        }
        for (String p : List.of("flipud", "fliplr", "mosaic", "mixup", "copy_paste", "paste_in")) {
            if (asMap().get(p) > 1) throw new IOException(source + ": key '" + p + "' is a probability, got " + asMap().get(p));
        }
        if (lr0 <= 0) throw new IOException(source + ": key 'lr0' must be > 0, got " + lr0);
        if (anchorT <= 1) throw new IOException(source + ": key 'anchor_t' must be > 1, got " + anchorT);
    }

    /** The file keys and values, in file order (what a run folder's hyp.yaml holds). */
    public Map<String, Double> asMap() {
        double[] vals = {lr0, lrf, momentum, weightDecay, warmupEpochs, warmupMomentum, warmupBiasLr, box, cls, clsPw, obj, objPw, iouT,
                anchorT, flGamma, hsvH, hsvS, hsvV, degrees, translate, scale, shear, perspective, flipud, fliplr, mosaic, mixup, copyPaste,
                pasteIn};
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < KEYS.size(); i++) m.put(KEYS.get(i), vals[i]);
        return m;
    }

    public String toYaml() {
        StringBuilder sb = new StringBuilder();
        asMap().forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
        return sb.toString();
    }

    /**
     * The loss gains as the original rescales them once at the start of training (design.md, Training step 1): box and obj by
     * 3 / levels, cls also by classes / 80, obj also by (image size / 640)^2.
     */
    public Hyperparameters scaledForTraining(int levels, int classes, int imageSize) {
        double l = 3.0 / levels;
        return withGains(box * l, cls * classes / 80.0 * l, obj * Math.pow(imageSize / 640.0, 2) * l);
    }

    public Hyperparameters withGains(double box, double cls, double obj) {
        return new Hyperparameters(lr0, lrf, momentum, weightDecay, warmupEpochs, warmupMomentum, warmupBiasLr, box, cls, clsPw, obj, objPw,
                iouT, anchorT, flGamma, hsvH, hsvS, hsvV, degrees, translate, scale, shear, perspective, flipud, fliplr, mosaic, mixup,
                copyPaste, pasteIn, labelSmoothing);
    }

    public Hyperparameters withLabelSmoothing(double eps) {
        return new Hyperparameters(lr0, lrf, momentum, weightDecay, warmupEpochs, warmupMomentum, warmupBiasLr, box, cls, clsPw, obj, objPw,
                iouT, anchorT, flGamma, hsvH, hsvS, hsvV, degrees, translate, scale, shear, perspective, flipud, fliplr, mosaic, mixup,
                copyPaste, pasteIn, eps);
    }

    /** A copy with some file keys replaced (for command-line overrides); unknown keys are errors. */
    public Hyperparameters with(Map<String, Double> overrides) throws IOException {
        Map<String, Double> m = asMap();
        for (var e : overrides.entrySet()) {
            if (!m.containsKey(e.getKey())) throw new IOException("unknown hyper-parameter '" + e.getKey() + "'; expected " + KEYS);
            m.put(e.getKey(), e.getValue());
        }
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
        return parse(sb.toString(), "overrides " + overrides).withLabelSmoothing(labelSmoothing);
    }
}
