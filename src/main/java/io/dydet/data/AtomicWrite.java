package io.dydet.data;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A temporary file in the same folder, then a rename: readers see the old or the new file, never a partial one.
 * (The data layer sits below {@code runs}, whose {@code AtomicFiles} does the same for run outputs.)
 */
public final class AtomicWrite {
    private AtomicWrite() {}

    public static void bytes(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static void text(Path file, String text) throws IOException {
        bytes(file, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
