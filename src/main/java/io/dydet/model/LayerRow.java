package io.dydet.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One row {@code [from, number, module, args]} of a cfg section, as written. {@code from} holds Integers and
 * the string {@code input}; {@code fromIsList} remembers whether it was written as a list (it changes how head2
 * resolves non-negative indices).
 */
public record LayerRow(
        Section section,
        int index,
        List<Object> from,
        boolean fromIsList,
        int number,
        String module,
        List<Object> args,
        String where) {
    public LayerRow {
        from = List.copyOf(from);
        args = Collections.unmodifiableList(new ArrayList<>(args));
    }
}
