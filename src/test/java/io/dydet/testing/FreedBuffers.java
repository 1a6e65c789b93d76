package io.dydet.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a use of freed Java direct memory visible: collects garbage (so unreachable direct buffers are freed), then
 * allocates many small direct buffers filled with a marker, which take over the freed blocks. A tensor still
 * reading a freed buffer then reads the marker (7.5e35, the value seen in the broken training runs).
 */
public final class FreedBuffers {
    public static final float MARKER = 7.5e35f;

    private FreedBuffers() {}

    public static void reuse() {
        System.gc();
        try {
            Thread.sleep(50); // the cleaner thread frees the buffers
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ByteBuffer> taken = new ArrayList<>();
        for (int size : new int[] {4, 8, 16, 64}) {
            for (int i = 0; i < 5000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
                for (int k = 0; k + 4 <= size; k += 4) b.putFloat(k, MARKER);
                taken.add(b);
            }
        }
        HOLD.set(taken); // kept until the next call, so the blocks stay taken through the caller's next step
    }

    private static final ThreadLocal<List<ByteBuffer>> HOLD = new ThreadLocal<>();
}
