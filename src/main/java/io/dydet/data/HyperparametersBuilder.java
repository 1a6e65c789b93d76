package io.dydet.data;

import java.io.IOException;

/** {@link Hyperparameters} by name; {@link #build()} checks them as a hyp file's are checked. */
public final class HyperparametersBuilder {
    double lr0,
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

    HyperparametersBuilder() {}

    public HyperparametersBuilder lr0(double v) {
        lr0 = v;
        return this;
    }

    public HyperparametersBuilder lrf(double v) {
        lrf = v;
        return this;
    }

    public HyperparametersBuilder momentum(double v) {
        momentum = v;
        return this;
    }

    public HyperparametersBuilder weightDecay(double v) {
        weightDecay = v;
        return this;
    }

    public HyperparametersBuilder warmupEpochs(double v) {
        warmupEpochs = v;
        return this;
    }

    public HyperparametersBuilder warmupMomentum(double v) {
        warmupMomentum = v;
        return this;
    }

    public HyperparametersBuilder warmupBiasLr(double v) {
        warmupBiasLr = v;
        return this;
    }

    public HyperparametersBuilder box(double v) {
        box = v;
        return this;
    }

    public HyperparametersBuilder cls(double v) {
        cls = v;
        return this;
    }

    public HyperparametersBuilder clsPw(double v) {
        clsPw = v;
        return this;
    }

    public HyperparametersBuilder obj(double v) {
        obj = v;
        return this;
    }

    public HyperparametersBuilder objPw(double v) {
        objPw = v;
        return this;
    }

    public HyperparametersBuilder iouT(double v) {
        iouT = v;
        return this;
    }

    public HyperparametersBuilder anchorT(double v) {
        anchorT = v;
        return this;
    }

    public HyperparametersBuilder flGamma(double v) {
        flGamma = v;
        return this;
    }

    public HyperparametersBuilder hsvH(double v) {
        hsvH = v;
        return this;
    }

    public HyperparametersBuilder hsvS(double v) {
        hsvS = v;
        return this;
    }

    public HyperparametersBuilder hsvV(double v) {
        hsvV = v;
        return this;
    }

    public HyperparametersBuilder degrees(double v) {
        degrees = v;
        return this;
    }

    public HyperparametersBuilder translate(double v) {
        translate = v;
        return this;
    }

    public HyperparametersBuilder scale(double v) {
        scale = v;
        return this;
    }

    public HyperparametersBuilder shear(double v) {
        shear = v;
        return this;
    }

    public HyperparametersBuilder perspective(double v) {
        perspective = v;
        return this;
    }

    public HyperparametersBuilder flipud(double v) {
        flipud = v;
        return this;
    }

    public HyperparametersBuilder fliplr(double v) {
        fliplr = v;
        return this;
    }

    public HyperparametersBuilder mosaic(double v) {
        mosaic = v;
        return this;
    }

    public HyperparametersBuilder mixup(double v) {
        mixup = v;
        return this;
    }

    public HyperparametersBuilder copyPaste(double v) {
        copyPaste = v;
        return this;
    }

    public HyperparametersBuilder pasteIn(double v) {
        pasteIn = v;
        return this;
    }

    public HyperparametersBuilder labelSmoothing(double v) {
        labelSmoothing = v;
        return this;
    }

    /** Sets a value by its hyp file key ({@code weight_decay}, {@code copy_paste}, ...). */
    public HyperparametersBuilder set(String key, double v) {
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
                throw new IllegalArgumentException(
                        "unknown hyper-parameter '" + key + "'; expected " + Hyperparameters.KEYS);
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
    Hyperparameters unchecked() {
        return new Hyperparameters(this);
    }
}
