package dev.tropism.jobs;

import java.lang.management.ManagementFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;

/**
 * How much memory one training job may use: {@code tropism.jobs.memory-budget}, or when unset three quarters of the
 * machine's physical memory (the rest is the JVM heap, the service and the OS). Jobs whose {@link TrainingMemory}
 * estimate exceeds it are refused at submission.
 */
@Component
class MemoryBudget {

    private final long bytes;

    MemoryBudget(@Value("${tropism.jobs.memory-budget:}") DataSize configured) {
        this.bytes = configured != null ? configured.toBytes() : physicalMemory() / 4 * 3;
    }

    long bytes() {
        return bytes;
    }

    /** The machine's physical memory, or 16 GiB when the JVM cannot tell. */
    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 16L << 30;
    }
}
