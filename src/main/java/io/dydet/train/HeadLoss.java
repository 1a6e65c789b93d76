package io.dydet.train;

import static io.dydet.engine.Scalars.maximum;
import static io.dydet.engine.Scalars.of;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.dydet.data.Hyperparameters;
import java.util.Arrays;
import java.util.List;

/**
 * YOLOv7's OTA detection loss of one head (design.md, Training step 1), given the positives the assigner chose: CIoU box loss
 * over positives, BCE objectness over every cell with the level balance and CIoU targets (gr = 1), BCE classes
 * over positives. The three terms come back multiplied by the hyp gains, per image (not yet times batch size).
 */
final class HeadLoss {
    /** Gain-scaled loss terms of one head; each a scalar on the predictions' manager, differentiable. */
    record Terms(NDArray box, NDArray obj, NDArray cls) {
        NDArray sum() {
            return box.add(obj).add(cls);
        }
    }

    private static final float EPS = 1e-7f;

    private final Hyperparameters hyp;
    private final int nc;
    private final float[] balance;

    HeadLoss(Hyperparameters hyp, int nc, int levels) {
        this.hyp = hyp;
        this.nc = nc;
        this.balance = levels == 3 ? new float[] {4.0f, 1.0f, 0.4f} : new float[] {4.0f, 1.0f, 0.25f, 0.06f, 0.02f};
    }

    Terms compute(NDList raw, List<LevelMatches> matches) {
        NDManager m = raw.get(0).getManager();
        NDArray lbox = m.zeros(new Shape()), lobj = m.zeros(new Shape()), lcls = m.zeros(new Shape());
        float cp = (float) (1.0 - 0.5 * hyp.labelSmoothing()), cn = (float) (0.5 * hyp.labelSmoothing());
        for (int i = 0; i < raw.size(); i++) {
            NDArray p = raw.get(i);
            Shape s = p.getShape();
            int bs = (int) s.get(0), na = (int) s.get(1), ny = (int) s.get(2), nx = (int) s.get(3), no = (int) s.get(4);
            LevelMatches lm = matches.get(i);
            int n = lm.size();
            float[] tobj = new float[bs * na * ny * nx];
            if (n > 0) {
                long[] idx = new long[n];
                float[] tbox = new float[n * 4], anc = new float[n * 2], tcls = new float[n * nc];
                if (nc > 1) Arrays.fill(tcls, cn);
                for (int k = 0; k < n; k++) {
                    idx[k] = (((long) lm.image()[k] * na + lm.anchor()[k]) * ny + lm.gj()[k]) * nx + lm.gi()[k];
                    float[] t = lm.target()[k];
                    tbox[4 * k] = t[2] * nx - lm.gi()[k];
                    tbox[4 * k + 1] = t[3] * ny - lm.gj()[k];
                    tbox[4 * k + 2] = t[4] * nx;
                    tbox[4 * k + 3] = t[5] * ny;
                    anc[2 * k] = lm.anchorWh()[k][0];
                    anc[2 * k + 1] = lm.anchorWh()[k][1];
                    if (nc > 1) tcls[k * nc + (int) t[1]] = cp;
                }
                NDArray index = m.create(idx).toDevice(p.getDevice(), false);
                NDArray ps = p.reshape(-1, no).get(new NDIndex("{}", index));
                NDArray pxy = Activation.sigmoid(ps.get(":, 0:2")).mul(of(p, 2)).sub(0.5f);
                NDArray pwh = Activation.sigmoid(ps.get(":, 2:4"))
                        .mul(of(p, 2))
                        .square()
                        .mul(m.create(anc, new Shape(n, 2)).toDevice(p.getDevice(), false));
                NDArray target = m.create(tbox, new Shape(n, 4)).toDevice(p.getDevice(), false);
                NDArray ciou = ciou(pxy, pwh, target);
                lbox = lbox.add(ciou.neg().add(1).mean());
                float[] iouValues = maximum(ciou.stopGradient(), 0).toFloatArray();
                // a cell chosen twice keeps the last value, as PyTorch's index assignment does
                for (int k = 0; k < n; k++) tobj[(int) idx[k]] = iouValues[k];
                if (nc > 1) {
                    NDArray t = m.create(tcls, new Shape(n, nc)).toDevice(p.getDevice(), false);
                    lcls = lcls.add(bce(ps.get(":, 5:"), t, hyp.clsPw()).mean());
                }
            }
            NDArray objTarget = m.create(tobj, new Shape(bs, na, ny, nx)).toDevice(p.getDevice(), false);
            lobj = lobj.add(bce(p.get("..., 4"), objTarget, hyp.objPw()).mean().mul(of(p, balance[i])));
        }
        return new Terms(
                lbox.mul(of(lbox, (float) hyp.box())), lobj.mul(of(lobj, (float) hyp.obj())), lcls.mul(of(lcls, (float)
                        hyp.cls())));
    }

    /** Complete IoU of predicted and target boxes (cx, cy, w, h); alpha is held constant for the gradient. */
    static NDArray ciou(NDArray pxy, NDArray pwh, NDArray target) {
        NDArray px = pxy.get(":, 0"), py = pxy.get(":, 1"), pw = pwh.get(":, 0"), ph = pwh.get(":, 1");
        NDArray tx = target.get(":, 0"), ty = target.get(":, 1"), tw = target.get(":, 2"), th = target.get(":, 3");
        NDArray half = of(pxy, 2);
        NDArray b1x1 = px.sub(pw.div(half)),
                b1x2 = px.add(pw.div(half)),
                b1y1 = py.sub(ph.div(half)),
                b1y2 = py.add(ph.div(half));
        NDArray b2x1 = tx.sub(tw.div(half)),
                b2x2 = tx.add(tw.div(half)),
                b2y1 = ty.sub(th.div(half)),
                b2y2 = ty.add(th.div(half));
        NDArray inter = b1x2.minimum(b2x2)
                .sub(b1x1.maximum(b2x1))
                .maximum(of(pxy, 0))
                .mul(b1y2.minimum(b2y2).sub(b1y1.maximum(b2y1)).maximum(of(pxy, 0)));
        NDArray w1 = b1x2.sub(b1x1), h1 = b1y2.sub(b1y1).add(EPS);
        NDArray w2 = b2x2.sub(b2x1), h2 = b2y2.sub(b2y1).add(EPS);
        NDArray union = w1.mul(h1).add(w2.mul(h2)).sub(inter).add(EPS);
        NDArray iou = inter.div(union);
        NDArray cw = b1x2.maximum(b2x2).sub(b1x1.minimum(b2x1));
        NDArray ch = b1y2.maximum(b2y2).sub(b1y1.minimum(b2y1));
        NDArray c2 = cw.square().add(ch.square()).add(EPS);
        NDArray rho2 = b2x1.add(b2x2)
                .sub(b1x1)
                .sub(b1x2)
                .square()
                .add(b2y1.add(b2y2).sub(b1y1).sub(b1y2).square())
                .div(of(pxy, 4));
        NDArray v = w2.div(h2).atan().sub(w1.div(h1).atan()).square().mul(of(pxy, (float) (4 / (Math.PI * Math.PI))));
        NDArray alpha;
        try (NDArray vd = v.stopGradient();
                NDArray iouD = iou.stopGradient()) {
            alpha = vd.div(vd.sub(iouD).add(1f + EPS));
        }
        return iou.sub(rho2.div(c2).add(v.mul(alpha)));
    }

    /** PyTorch's BCEWithLogitsLoss without reduction, with a positive-class weight; focal when fl_gamma > 0. */
    NDArray bce(NDArray x, NDArray t, double posWeight) {
        NDArray softplusNeg = x.abs().neg().exp().add(1).log().add(x.neg().maximum(of(x, 0))); // log(1 + e^-x), stable
        NDArray loss = posWeight == 1.0
                ? t.neg().add(1).mul(x).add(softplusNeg)
                : t.neg()
                        .add(1)
                        .mul(x)
                        .add(t.mul(of(t, (float) (posWeight - 1))).add(1).mul(softplusNeg));
        if (hyp.flGamma() > 0) { // YOLOv5/7 FocalLoss with alpha 0.25
            NDArray prob = Activation.sigmoid(x);
            NDArray pt = t.mul(prob).add(t.neg().add(1).mul(prob.neg().add(1)));
            NDArray alphaFactor = t.mul(of(t, 0.25f)).add(t.neg().add(1).mul(of(t, 0.75f)));
            loss = loss.mul(alphaFactor).mul(pt.neg().add(1).pow(of(x, (float) hyp.flGamma())));
        }
        return loss;
    }
}
