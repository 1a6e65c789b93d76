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

    private Hyperparameters(Builder b) {
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

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values, for a copy that differs in a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
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
        Builder b = new Builder();
        v.forEach(b::set);
        Hyperparameters h = b.labelSmoothing(0.0).unchecked();
        h.check(source);
        return h;
    }

    private void check(String source) throws IOException {
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

    /** Values by name; {@link #build()} checks them as a hyp file's are checked. */
    public static final class Builder {
        private double lr0,
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

        private Builder() {}

        public Builder lr0(double v) {
            lr0 = v;
            return this;
        }

        public Builder lrf(double v) {
            lrf = v;
            return this;
        }

        public Builder momentum(double v) {
            momentum = v;
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder warmupEpochs(double v) {
            warmupEpochs = v;
            return this;
        }

        public Builder warmupMomentum(double v) {
            warmupMomentum = v;
            return this;
        }

        public Builder warmupBiasLr(double v) {
            warmupBiasLr = v;
            return this;
        }

        public Builder box(double v) {
            box = v;
            return this;
        }

        public Builder cls(double v) {
            cls = v;
            return this;
        }

        public Builder clsPw(double v) {
            clsPw = v;
            return this;
        }

        public Builder obj(double v) {
            obj = v;
            return this;
        }

        public Builder objPw(double v) {
            objPw = v;
            return this;
        }

        public Builder iouT(double v) {
            iouT = v;
            return this;
        }

        public Builder anchorT(double v) {
            anchorT = v;
            return this;
        }

        public Builder flGamma(double v) {
            flGamma = v;
            return this;
        }

        public Builder hsvH(double v) {
            hsvH = v;
            return this;
        }

        public Builder hsvS(double v) {
            hsvS = v;
            return this;
        }

        public Builder hsvV(double v) {
            hsvV = v;
            return this;
        }

        public Builder degrees(double v) {
            degrees = v;
            return this;
        }

        public Builder translate(double v) {
            translate = v;
            return this;
        }

        public Builder scale(double v) {
            scale = v;
            return this;
        }

        public Builder shear(double v) {
            shear = v;
            return this;
        }

        public Builder perspective(double v) {
            perspective = v;
            return this;
        }

        public Builder flipud(double v) {
            flipud = v;
            return this;
        }

        public Builder fliplr(double v) {
            fliplr = v;
            return this;
        }

        public Builder mosaic(double v) {
            mosaic = v;
            return this;
        }

        public Builder mixup(double v) {
            mixup = v;
            return this;
        }

        public Builder copyPaste(double v) {
            copyPaste = v;
            return this;
        }

        public Builder pasteIn(double v) {
            pasteIn = v;
            return this;
        }

        public Builder labelSmoothing(double v) {
            labelSmoothing = v;
            return this;
        }

        /** Sets a value by its hyp file key ({@code weight_decay}, {@code copy_paste}, ...). */
        public Builder set(String key, double v) {
            switch (key) {
                case "lr0" -> lr0 = v;
                case "lrf" -> lrf = v;
                case "momentum" -> momentum = v;
                case "weight_decay" -> weightDecay = v;
                case "warmup_epochs" -> warmupEpochs = v;
                case "warmup_momentum" -> warmupMomentum = v;
                case "warmup_bias_lr" -> warmupBiasLr = v;
                case "box" -> box = v;
                case "cls" -> cls = v;
                case "cls_pw" -> clsPw = v;
                case "obj" -> obj = v;
                case "obj_pw" -> objPw = v;
                case "iou_t" -> iouT = v;
                case "anchor_t" -> anchorT = v;
                case "fl_gamma" -> flGamma = v;
                case "hsv_h" -> hsvH = v;
                case "hsv_s" -> hsvS = v;
                case "hsv_v" -> hsvV = v;
                case "degrees" -> degrees = v;
                case "translate" -> translate = v;
                case "scale" -> scale = v;
                case "shear" -> shear = v;
                case "perspective" -> perspective = v;
                case "flipud" -> flipud = v;
                case "fliplr" -> fliplr = v;
                case "mosaic" -> mosaic = v;
                case "mixup" -> mixup = v;
                case "copy_paste" -> copyPaste = v;
                case "paste_in" -> pasteIn = v;
                default ->
                    throw new IllegalArgumentException("unknown hyper-parameter '" + key + "'; expected " + KEYS);
            }
            return this;
        }

        /** The values, checked as a hyp file's are: finite, >= 0, probabilities <= 1, lr0 > 0, anchor_t > 1. */
        public Hyperparameters build() {
            Hyperparameters h = new Hyperparameters(this);
            try {
                h.check("hyper-parameters");
            } catch (IOException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
            return h;
        }

        /** Derived values (the loss gains scaled for training) that need no check. */
        private Hyperparameters unchecked() {
            return new Hyperparameters(this);
        }
    }
}
