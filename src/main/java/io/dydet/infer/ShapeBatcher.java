package io.dydet.infer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batches of images that share a padded shape, so that a batched forward pass gives every image what batch 1 gives
 * it. Shapes come in first-seen order, images in their order within a shape.
 */
public final class ShapeBatcher<T> {
    private final int batch;
    private final Map<String, List<T>> pending = new LinkedHashMap<>();

    /** A streaming batcher: {@link #add} hands out a batch as soon as its shape has {@code batch} images. */
    public ShapeBatcher(int batch) {
        this.batch = batch;
    }

    /** Adds an item of this padded shape; returns its shape's batch when that is full (the shape then starts anew), else null. */
    public List<T> add(int[] shape, T item) {
        List<T> g = pending.computeIfAbsent(key(shape), k -> new ArrayList<>());
        g.add(item);
        if (g.size() != batch) return null;
        List<T> full = new ArrayList<>(g);
        g.clear();
        return full;
    }

    /** The batches not yet full, in first-seen order of their shapes. */
    public List<List<T>> rest() {
        List<List<T>> out = new ArrayList<>();
        for (List<T> g : pending.values()) if (!g.isEmpty()) out.add(new ArrayList<>(g));
        pending.clear();
        return out;
    }

    /**
     * When every shape is known up front: the indices of {@code shapes} grouped by shape, each group cut into batches
     * of at most {@code batch}, group after group; a null shape (an image already failed) is left out.
     */
    public static List<List<Integer>> plan(int[][] shapes, int batch) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < shapes.length; i++) {
            if (shapes[i] != null)
                groups.computeIfAbsent(key(shapes[i]), k -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> out = new ArrayList<>();
        for (List<Integer> group : groups.values()) {
            for (int from = 0; from < group.size(); from += batch)
                out.add(group.subList(from, Math.min(group.size(), from + batch)));
        }
        return out;
    }

    private static String key(int[] shape) {
        return shape[0] + "x" + shape[1];
    }
}
