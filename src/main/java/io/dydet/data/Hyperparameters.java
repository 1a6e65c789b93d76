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
 * {@code finetune-dynamic}. {@code labelSmoothing} is not a file key (the original takes it on the command line). Edited through
 * {@link #toBuilder()}; values are read by the file key's camel-case accessor ({@code weight_decay}: {@link #weightDecay()}).
 */
public final class Hyperparameters {
    private final double lr0,
            lrf,
            momentum,
            weightDecay,
            warmupEpochs,
            warmupMomentum,
            warmupBiasLr,
            box,
            cls,
            clsPw,
            obj,
            objPw,
            iouT,
            anchorT,
            flGamma,
            hsvH,
            hsvS,
            hsvV,
            degrees,
            translate,
            scale,
            shear,
            perspective,
            flipud,
            fliplr,
            mosaic,
            mixup,
            copyPaste,
            pasteIn,
            labelSmoothing;

    Hyperparameters(HyperparametersBuilder b) {
        lr0 = b.lr0;
        lrf = b.lrf;
        momentum = b.momentum;
        weightDecay = b.weightDecay;
        warmupEpochs = b.warmupEpochs;
        warmupMomentum = b.warmupMomentum;
        warmupBiasLr = b.warmupBiasLr;
        box = b.box;
        cls = b.cls;
        clsPw = b.clsPw;
        obj = b.obj;
        objPw = b.objPw;
        iouT = b.iouT;
        anchorT = b.anchorT;
        flGamma = b.flGamma;
        hsvH = b.hsvH;
        hsvS = b.hsvS;
        hsvV = b.hsvV;
        degrees = b.degrees;
        translate = b.translate;
        scale = b.scale;
        shear = b.shear;
        perspective = b.perspective;
        flipud = b.flipud;
        fliplr = b.fliplr;
        mosaic = b.mosaic;
        mixup = b.mixup;
        copyPaste = b.copyPaste;
        pasteIn = b.pasteIn;
        labelSmoothing = b.labelSmoothing;
    }

    public static HyperparametersBuilder builder() {
        return new HyperparametersBuilder();
    }

    /** A builder holding these values, for a copy that differs in a few. */
    public HyperparametersBuilder toBuilder() {
        HyperparametersBuilder b = new HyperparametersBuilder();
        double[] vals = fileValues();
        for (int i = 0; i < KEYS.size(); i++) b.set(KEYS.get(i), vals[i]);
        return b.labelSmoothing(labelSmoothing);
    }

    private double[] fileValues() {
        return new double[] {
            lr0,
            lrf,
            momentum,
            weightDecay,
            warmupEpochs,
            warmupMomentum,
            warmupBiasLr,
            box,
            cls,
            clsPw,
            obj,
            objPw,
            iouT,
            anchorT,
            flGamma,
            hsvH,
            hsvS,
            hsvV,
            degrees,
            translate,
            scale,
            shear,
            perspective,
            flipud,
            fliplr,
            mosaic,
            mixup,
            copyPaste,
            pasteIn
        };
    }

    public double lr0() {
        return lr0;
    }

    public double lrf() {
        return lrf;
    }

    public double momentum() {
        return momentum;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public double warmupEpochs() {
        return warmupEpochs;
    }

    public double warmupMomentum() {
        return warmupMomentum;
    }

    public double warmupBiasLr() {
        return warmupBiasLr;
    }

    public double box() {
        return box;
    }

    public double cls() {
        return cls;
    }

    public double clsPw() {
        return clsPw;
    }

    public double obj() {
        return obj;
    }

    public double objPw() {
        return objPw;
    }

    public double iouT() {
        return iouT;
    }

    public double anchorT() {
        return anchorT;
    }

    public double flGamma() {
        return flGamma;
    }

    public double hsvH() {
        return hsvH;
    }

    public double hsvS() {
        return hsvS;
    }

    public double hsvV() {
        return hsvV;
    }

    public double degrees() {
        return degrees;
    }

    public double translate() {
        return translate;
    }

    public double scale() {
        return scale;
    }

    public double shear() {
        return shear;
    }

    public double perspective() {
        return perspective;
    }

    public double flipud() {
        return flipud;
    }

    public double fliplr() {
        return fliplr;
    }

    public double mosaic() {
        return mosaic;
    }

    public double mixup() {
        return mixup;
    }

    public double copyPaste() {
        return copyPaste;
    }

    public double pasteIn() {
        return pasteIn;
    }

    public double labelSmoothing() {
        return labelSmoothing;
    }

    /** Every file key, in the original's order. */
    public static final List<String> KEYS = List.of(
            "lr0",
            "lrf",
            "momentum",
            "weight_decay",
            "warmup_epochs",
            "warmup_momentum",
            "warmup_bias_lr",
            "box",
            "cls",
            "cls_pw",
            "obj",
            "obj_pw",
            "iou_t",
            "anchor_t",
            "fl_gamma",
            "hsv_h",
            "hsv_s",
            "hsv_v",
            "degrees",
            "translate",
            "scale",
            "shear",
            "perspective",
            "flipud",
            "fliplr",
            "mosaic",
            "mixup",
            "copy_paste",
            "paste_in");

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
        if (res == null)
            throw new IllegalArgumentException(
                    "no built-in hyper-parameters '" + name + "'; built in: " + BUILT_IN.keySet());
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
            throw new IOException(
                    "hyper-parameters '" + nameOrFile + "' is neither a file nor a built-in name " + BUILT_IN.keySet());
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
        if (root == null || !root.isObject())
            throw new IOException(source + ": expected a mapping of hyper-parameters " + KEYS);
        Map<String, Double> v = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (var it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            if (IGNORED.contains(e.getKey())) continue;
            if (!KEYS.contains(e.getKey())) {
                unknown.add(e.getKey());
                continue;
            }
            if (!e.getValue().isNumber())
                throw new IOException(source + ": key '" + e.getKey() + "' must be a number, got '"
                        + e.getValue().asText() + "'");
            v.put(e.getKey(), e.getValue().doubleValue());
        }
        if (!unknown.isEmpty()) throw new IOException(source + ": unknown key(s) " + unknown + "; expected " + KEYS);
        List<String> missing = KEYS.stream().filter(k -> !v.containsKey(k)).toList();
        if (!missing.isEmpty()) throw new IOException(source + ": missing key(s) " + missing);
        HyperparametersBuilder b = new HyperparametersBuilder();
        v.forEach(b::set);
        Hyperparameters h = b.labelSmoothing(0.0).unchecked();
        h.check(source);
        return h;
    }

    void check(String source) throws IOException {
        for (var e : asMap().entrySet()) {
            if (!Double.isFinite(e.getValue()) || e.getValue() < 0)
                throw new IOException(
                        source + ": key '" + e.getKey() + "' must be a finite number >= 0, got " + e.getValue());
        }
        for (String p : List.of("flipud", "fliplr", "mosaic", "mixup", "copy_paste", "paste_in")) {
            if (asMap().get(p) > 1)
                throw new IOException(source + ": key '" + p + "' is a probability, got " + asMap().get(p));
        }
        if (lr0 <= 0) throw new IOException(source + ": key 'lr0' must be > 0, got " + lr0);
        if (anchorT <= 1) throw new IOException(source + ": key 'anchor_t' must be > 1, got " + anchorT);
    }

    /** The file keys and values, in file order (what a run folder's hyp.yaml holds). */
    public Map<String, Double> asMap() {
        double[] vals = fileValues();
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
        return toBuilder().box(box).cls(cls).obj(obj).unchecked();
    }

    public Hyperparameters withLabelSmoothing(double eps) {
        return toBuilder().labelSmoothing(eps).unchecked();
    }

    /** A copy with some file keys replaced (for command-line overrides); unknown keys are errors. */
    public Hyperparameters with(Map<String, Double> overrides) throws IOException {
        Map<String, Double> m = asMap();
        for (var e : overrides.entrySet()) {
            if (!m.containsKey(e.getKey()))
                throw new IOException("unknown hyper-parameter '" + e.getKey() + "'; expected " + KEYS);
            m.put(e.getKey(), e.getValue());
        }
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
        return parse(sb.toString(), "overrides " + overrides).withLabelSmoothing(labelSmoothing);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hyperparameters h
                && java.util.Arrays.equals(fileValues(), h.fileValues())
                && Double.compare(labelSmoothing, h.labelSmoothing) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(fileValues()) + Double.hashCode(labelSmoothing);
    }

    @Override
    public String toString() {
        return "Hyperparameters" + asMap() + " label_smoothing " + labelSmoothing;
    }
}
