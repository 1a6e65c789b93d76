package io.dydet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSpecBuilderTest {
    @Test
    void aCopyChangesOnlyWhatItNames() {
        ModelSpec spec = ModelSpec.builtIn("dy-yolov7");
        assertEquals(spec, spec.toBuilder().build());
        assertEquals(spec.hashCode(), spec.toBuilder().build().hashCode());
        ModelSpec three = spec.withClasses(3);
        assertEquals(3, three.nc());
        assertEquals(spec.toBuilder().nc(3).build(), three);
        assertNotEquals(spec, three);
        assertEquals(spec.rows(), three.rows());
        assertEquals(spec.routerIns(), three.routerIns());
        ModelSpec noRouter = spec.toBuilder()
                .dynamic(false)
                .routerIns(List.of())
                .routerChannels(List.of())
                .build();
        assertEquals(List.of(), noRouter.routerChannels());
        assertThrows(
                UnsupportedOperationException.class, () -> spec.anchors().add(List.of()), "built lists are copies");
    }
}
