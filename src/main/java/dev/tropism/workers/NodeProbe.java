package dev.tropism.workers;

import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.DeviceSpec;
import java.lang.management.ManagementFactory;

/** Finds out what this machine offers: the training device named by {@code tropism.engine.device}, GPU and RAM. */
final class NodeProbe {

    private NodeProbe() {
    }

    /**
     * @param engineDevice {@code tropism.engine.device}: {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}. A
     *        GPU that is not there fails here, at startup: a worker that would fail every job it takes must not
     *        announce itself.
     */
    static NodeLabels probe(String engineDevice, String pool) {
        long ram = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        DeviceSpec spec = DeviceSpec.of(engineDevice);
        if (spec.kind() == DeviceSpec.Kind.CPU) {
            return new NodeLabels(NodeLabels.CPU, null, null, ram, pool);
        }
        DeviceInfo info = DeviceInfo.of(spec.resolve());
        if (info.kind() == DeviceSpec.Kind.CPU) {
            return new NodeLabels(NodeLabels.CPU, null, null, ram, pool);
        }
        return new NodeLabels(NodeLabels.CUDA, info.gpuModel(), info.memoryBytes(), ram, pool);
    }
}
