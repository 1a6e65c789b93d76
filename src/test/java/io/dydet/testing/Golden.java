package io.dydet.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dydet.model.DynamicDetModel;
import io.dydet.model.ModelFiles;
import io.dydet.model.ModelSpec;
import io.dydet.weights.SafeTensors;
import io.dydet.weights.SafeTensorsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/**
 * The reference files produced by the original PyTorch code, copied into src/test/resources/golden. A missing
 * file fails the test (it never skips).
 */
public final class Golden implements AutoCloseable {
    public static final java.util.List<String> MODELS =
            java.util.List.of("dy-yolov7-w025", "dy-yolov7x-w025", "dy-yolov7-w6-w025");

    private final String name;
    private final SafeTensorsFile io;
    private final JsonNode meta;

    private Golden(String name) throws IOException {
        this.name = name;
        this.io = SafeTensors.open(file(name + ".io.safetensors"));
        this.meta = new ObjectMapper().readTree(file(name + ".meta.json").toFile());
    }

    public static Golden open(String name) {
        try {
            return new Golden(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A golden resource as a path; throws (fails the test) when it is missing. */
    public static Path file(String relative) {
        URL url = Golden.class.getResource("/golden/" + relative);
        if (url == null) throw new AssertionError("golden file src/test/resources/golden/" + relative + " is missing");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public String name() {
        return name;
    }

    public JsonNode meta() {
        return meta;
    }

    public ModelSpec spec() {
        return ModelSpec.load(file(name + ".yaml"));
    }

    public DynamicDetModel model(NDManager manager) {
        try {
            return ModelFiles.load(file(name + ".safetensors"), spec(), manager);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean has(String tensor) {
        return io.entry(tensor).isPresent();
    }

    public NDArray tensor(NDManager m, String tensor) {
        if (!has(tensor)) throw new AssertionError(name + ".io.safetensors has no tensor " + tensor);
        try {
            return io.read(m, tensor);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Model input of a golden image: letterboxed BGR u8 (H, W, 3) -> (1, 3, H, W) RGB float in [0, 1]; or the random input. */
    public NDArray input(NDManager m, String image) {
        if (image.equals("random")) return tensor(m, "random.input");
        return bgrToInput(tensor(m, image + ".letterboxed_bgr_u8").expandDims(0));
    }

    /** (B, H, W, 3) BGR u8 -> (B, 3, H, W) RGB float32 / 255. */
    public static NDArray bgrToInput(NDArray bgr) {
        NDArray f = bgr.toType(DataType.FLOAT32, false).transpose(0, 3, 1, 2);
        NDArray rgb = NDArrays.concat(new NDList(f.get(":, 2:3"), f.get(":, 1:2"), f.get(":, 0:1")), 1);
        return rgb.div(255f);
    }

    @Override
    public void close() {
        io.close();
    }
}
