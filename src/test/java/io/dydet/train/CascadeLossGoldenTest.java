package io.dydet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dydet.data.Hyperparameters;
import io.dydet.engine.Engines;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelSpec;
import io.dydet.model.Network;
import io.dydet.model.TrainOutput;
import io.dydet.testing.FreedBuffers;
import io.dydet.testing.Golden;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import io.dydet.weights.TensorEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Step-1 loss against the original (golden dy-yolov7-w025.grads.safetensors): the batch of two letterboxed
 * images at 192 with hand-written targets, the golden weights in the step-1 definition, hyp.scratch.p5 scaled
 * for 192 px. Loss and items within 1e-4 relative, OTA matches identical, every gradient within 2e-2 of its
 * tensor's max |grad|.
 */
class CascadeLossGoldenTest {
    static NDManager manager;
    static DynamicDetModel model;
    static SafeTensorsFile grads;
    static CascadeLoss.Result result;

    @BeforeAll
    static void run() throws Exception {
        manager = NDManager.newBaseManager(Device.cpu());
        Network net = Network.build(ModelSpec.load(Golden.file("dy-yolov7-w025-step1.yaml")));
        Map<String, NDArray> weights = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensors.open(Golden.file("dy-yolov7-w025.safetensors"))) {
            for (TensorEntry e : f.entries())
                if (!e.name().startsWith("router.")) weights.put(e.name(), f.read(manager, e.name()));
        }
        model = DynamicDetModel.fromStateDict(net, weights, manager.newSubManager(), "golden");
        grads = SafeTensors.open(Golden.file("dy-yolov7-w025.grads.safetensors"));
        Trainables.requireGradients(model);
        Hyperparameters hyp = Hyperparameters.scratchP5().scaledForTraining(3, 80, 192);
        assertEquals(0.063, hyp.obj(), 1e-9);
        try (Golden g = Golden.open("dy-yolov7-w025")) {
            NDManager step = manager.newSubManager();
            NDArray x = Golden.bgrToInput(g.tensor(step, "train.letterboxed_bgr_u8"));
            float[][] targets = rows(g.tensor(step, "train.targets"));
            boolean grad = Engines.isGradEnabled();
            Engines.setGradEnabled(true);
            try {
                TrainOutput out = model.forwardTrain(x);
                result = new CascadeLoss(model, hyp).compute(out, targets, 192);
                FreedBuffers.reuse(); // a collection between forward and backward must not change the gradients
                Engines.backward(result.total());
            } finally {
                Engines.setGradEnabled(grad);
            }
        }
    }

    @AfterAll
    static void close() {
        grads.close();
        manager.close();
    }

    static float[][] rows(NDArray a) {
        int n = (int) a.getShape().get(0), c = (int) a.getShape().get(1);
        float[] f = a.toFloatArray();
        float[][] out = new float[n][c];
        for (int i = 0; i < n; i++) System.arraycopy(f, i * c, out[i], 0, c);
        return out;
    }

    float[] golden(String key) throws Exception {
        return grads.read(manager, key)
                .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                .toFloatArray();
    }

    @Test
    void lossAndItemsEqualTheOriginal() throws Exception {
        float loss = golden("step1.loss")[0];
        assertEquals(loss, result.total().getFloat(0), 1e-4 * Math.abs(loss), "loss");
        float[] items = golden("step1.loss_items");
        float[] mine = result.items();
        String[] names = {"lbox", "lobj", "lcls", "total"};
        for (int i = 0; i < 4; i++) assertEquals(items[i], mine[i], 1e-4 * Math.abs(items[i]), names[i]);
    }

    @Test
    void otaMatchesAreIdentical() throws Exception {
        int total = 0;
        for (int head = 1; head <= 2; head++) {
            List<LevelMatches> ms = head == 1 ? result.head1Matches() : result.head2Matches();
            for (int l = 0; l < 3; l++) {
                String k = "step1.match.head" + head + ".level" + l + ".";
                float[] img = golden(k + "image"),
                        anc = golden(k + "anchor"),
                        gj = golden(k + "gj"),
                        gi = golden(k + "gi"),
                        tgt = golden(k + "target");
                LevelMatches m = ms.get(l);
                List<String> expected = new ArrayList<>(), actual = new ArrayList<>();
                for (int i = 0; i < img.length; i++) {
                    expected.add(String.format(
                            "%d/%d/%d/%d cls %.0f (%.5f %.5f)",
                            (int) img[i],
                            (int) anc[i],
                            (int) gj[i],
                            (int) gi[i],
                            tgt[i * 6 + 1],
                            tgt[i * 6 + 2],
                            tgt[i * 6 + 3]));
                }
                for (int i = 0; i < m.size(); i++) {
                    float[] t = m.target()[i];
                    actual.add(String.format(
                            "%d/%d/%d/%d cls %.0f (%.5f %.5f)",
                            m.image()[i], m.anchor()[i], m.gj()[i], m.gi()[i], t[1], t[2], t[3]));
                }
                assertEquals(expected, actual, k);
                total += img.length;
            }
        }
        assertTrue(total > 10, "matches compared: " + total);
    }

    @Test
    void everyGradientEqualsTheOriginal() throws Exception {
        int checked = 0;
        List<String> bad = new ArrayList<>();
        double worst = 0;
        String worstName = "";
        List<String> names = grads.entries().stream()
                .map(TensorEntry::name)
                .filter(n -> !n.startsWith("step"))
                .toList();
        for (String name : names) {
            NDArray param = model.stateDict().get(name);
            if (param == null || !param.hasGradient()) {
                bad.add(name + " has no gradient");
                continue;
            }
            float[] want = golden(name);
            float[] got;
            try (NDArray g = param.getGradient()) {
                got = g.toFloatArray();
            }
            double max = 0, diff = 0;
            for (int i = 0; i < want.length; i++) {
                max = Math.max(max, Math.abs(want[i]));
                diff = Math.max(diff, Math.abs(want[i] - got[i]));
            }
            double rel = max == 0 ? diff : diff / max;
            if (rel > worst) {
                worst = rel;
                worstName = name;
            }
            if (rel > 2e-2) bad.add(name + " " + rel);
            checked++;
        }
        System.out.println("step-1 gradients: worst " + worst + " at " + worstName + " over " + checked + " tensors");
        assertTrue(bad.isEmpty(), "gradients off: " + bad);
        assertTrue(checked > 580 && checked == names.size(), "gradients checked: " + checked + " of " + names.size());
    }
}
