package io.dydet.runs;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A new run folder each time: {@code <project>/<name>}, then {@code <name>2}, {@code <name>3}, ... as the original names them. */
public final class RunDir {
    private RunDir() {}

    public static Path create(Path project, String name) throws IOException {
        Files.createDirectories(project);
        for (int i = 1; ; i++) {
            Path p = project.resolve(i == 1 ? name : name + i);
            try {
                return Files.createDirectory(p);
            } catch (FileAlreadyExistsException e) {
                // taken: try the next number
            }
        }
    }
}
