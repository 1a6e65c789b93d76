package io.dydet.files;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a file so that readers, and a machine that loses power, see the old content or the new, never half: a
 * temporary file in the same folder (so the rename stays on one file system), written and forced to disk, renamed
 * over the target in one step, then the folder forced so that the rename itself is durable. The temporary file is
 * removed when anything fails. The one way the project writes model files, checkpoints, caches and run results.
 */
public final class AtomicFile {
    /** Writes content to a stream (which it may close). */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes content to a channel, for writers that need positions (safetensors). */
    @FunctionalInterface
    public interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    /** Ending of the temporary files, named ".NAME.HEX.tmp" next to the target. */
    private static final String TEMP_SUFFIX = ".tmp";

    private AtomicFile() {}

    public static void write(Path target, Writer writer) throws IOException {
        writeChannel(target, ch -> {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            // writers such as Jackson close the stream they are given; the channel must stay open for force()
            writer.write(new FilterOutputStream(out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush();
                }
            });
            out.flush();
        });
    }

    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    public static void writeChannel(Path target, ChannelWriter writer) throws IOException {
        Path tmp = temporaryFor(target, TEMP_SUFFIX);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                writer.write(ch);
                ch.force(true);
            }
            move(tmp, target);
            moved = true;
            syncFolder(target.toAbsolutePath().getParent());
        } finally {
            if (!moved) deleteQuietly(tmp);
        }
    }

    /**
     * A new, empty temporary file beside {@code target} for writers that need a path of their own (e.g. a video
     * writer that picks its format by the file's ending, given as {@code ending}); {@link #commit} then puts it in place.
     */
    public static Path temporaryFor(Path target, String ending) throws IOException {
        Path t = target.toAbsolutePath();
        Files.createDirectories(t.getParent());
        // a dot name, so listings and globs of the folder do not pick up a half-written file; createFile (not
        // createTempFile) keeps the usual permissions instead of 0600
        Path tmp = t.resolveSibling("." + t.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ending);
        Files.createFile(tmp);
        return tmp;
    }

    /** Forces a finished file beside {@code target} to disk and renames it over the target; removes it on failure. */
    public static void commit(Path finished, Path target) throws IOException {
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(finished, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            move(finished, target);
            moved = true;
            syncFolder(target.toAbsolutePath().getParent());
        } finally {
            if (!moved) deleteQuietly(finished);
        }
    }

    /**
     * The temporary files that writes of {@code target} left behind when the process was killed mid-write. Only the
     * owner of the folder, knowing no write is under way, should delete them.
     */
    public static List<Path> leftovers(Path target) throws IOException {
        Path t = target.toAbsolutePath();
        Pattern name = Pattern.compile(
                Pattern.quote("." + t.getFileName() + ".") + "[0-9a-f]{1,16}" + Pattern.quote(TEMP_SUFFIX));
        if (!Files.isDirectory(t.getParent())) return List.of();
        try (Stream<Path> s = Files.list(t.getParent())) {
            return s.filter(p -> name.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        }
    }

    private static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // some file systems cannot rename atomically; a plain replace is the best they offer
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Forces a folder's entries to disk; platforms that cannot open a folder (Windows) are left as they are. */
    private static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the file's content is on disk already
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException suppressed) {
            // the original failure matters more; a leftover temporary file is harmless
        }
    }
}
