package dev.tropism.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Resident memory of this process (JVM heap plus native tensors), read from Linux's /proc. */
public final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /** Current resident set size in MiB; empty where /proc is not available. */
    public static Optional<Double> residentMiB() {
        return field("VmRSS:");
    }

    /** Peak resident set size (high-water mark) in MiB; empty where /proc is not available. */
    public static Optional<Double> peakResidentMiB() {
        return field("VmHWM:");
    }

    private static Optional<Double> field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String kb = line.substring(name.length()).trim().split("\\s+")[0];
                    return Optional.of(Long.parseLong(kb) / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
