package io.dydet.arch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Code that builds autograd graphs (layers, model, losses) never calls DJL's scalar overloads whose scalar autograd
 * keeps for the backward pass (mul, div, pow, maximum, minimum taking a Number): DJL frees that scalar's buffer at
 * once, and a garbage collection before the backward turns gradients into garbage. io.dydet.engine.Scalars is the
 * safe form. Optimiser and EMA updates run with gradients off and may use the overloads.
 */
class GraphScalarsTest {
    private static final Set<String> PACKAGES = Set.of("io/dydet/nn/", "io/dydet/model/", "io/dydet/train/");
    private static final Set<String> NO_GRAPH = Set.of("Optimizer", "Sgd", "Adam", "Ema");
    private static final Set<String> KEPT_OPERAND = Set.of("mul", "div", "pow", "maximum", "minimum");
    private static final Set<String> ARRAY_TYPES = Set.of("ai/djl/ndarray/NDArray", "ai/djl/pytorch/engine/PtNDArray");

    @Test
    void graphCodeUsesEngineOwnedScalars() throws IOException {
        Path classes = Path.of("target/classes");
        assertTrue(
                Files.isDirectory(classes.resolve("io/dydet/train")),
                "compiled classes expected under " + classes.toAbsolutePath());
        List<String> violations = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                String rel = classes.relativize(f).toString().replace('\\', '/');
                if (PACKAGES.stream().noneMatch(rel::startsWith)) continue;
                String simple = rel.substring(rel.lastIndexOf('/') + 1, rel.length() - ".class".length())
                        .split("\\$")[0];
                if (NO_GRAPH.contains(simple)) continue;
                checked++;
                try (InputStream in = Files.newInputStream(f)) {
                    for (String call : methodRefs(new DataInputStream(in))) {
                        String[] p = call.split(" ");
                        if (ARRAY_TYPES.contains(p[0])
                                && KEPT_OPERAND.contains(p[1])
                                && p[2].startsWith("(Ljava/lang/Number;)")) {
                            violations.add(rel + " calls " + p[1] + "(Number)");
                        }
                    }
                }
            }
        }
        assertTrue(checked > 20, "only " + checked + " classes found");
        assertTrue(violations.isEmpty(), "use io.dydet.engine.Scalars instead:\n" + String.join("\n", violations));
    }

    /** "owner name descriptor" of every method reference in a class file's constant pool. */
    static List<String> methodRefs(DataInputStream in) throws IOException {
        if (in.readInt() != 0xCAFEBABE) throw new IOException("not a class file");
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        String[] utf = new String[count];
        int[][] refs = new int[count][];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf[i] = in.readUTF();
                case 7, 8, 16, 19, 20 -> refs[i] = new int[] {tag, in.readUnsignedShort()};
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                case 3, 4 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++;
                }
                case 9, 10, 11, 12, 17, 18 -> refs[i] = new int[] {tag, in.readUnsignedShort(), in.readUnsignedShort()};
                default -> throw new IOException("constant pool tag " + tag);
            }
        }
        List<String> out = new ArrayList<>();
        for (int[] r : refs) {
            if (r == null || (r[0] != 10 && r[0] != 11)) continue;
            String owner = utf[refs[r[1]][1]];
            int[] nat = refs[r[2]];
            out.add(owner + " " + utf[nat[1]] + " " + utf[nat[2]]);
        }
        return out;
    }
}
