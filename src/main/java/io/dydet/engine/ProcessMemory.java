package io.dydet.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory as Linux reports it (Java heap and native tensors together). */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** The peak resident set size so far (VmHWM), in bytes; -1 where /proc/self/status does not tell. */
    public static long peakResidentBytes() {
        return statusKilobytes("VmHWM:");
    }

    /** The current resident set size (VmRSS), in bytes; -1 where /proc/self/status does not tell. */
    public static long residentBytes() {
        return statusKilobytes("VmRSS:");
    }

    private static long statusKilobytes(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (!line.startsWith(key)) continue;
                String[] parts = line.substring(key.length()).trim().split("\\s+");
                return Long.parseLong(parts[0]) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
