package dev.tropism.jobs;

import dev.tropism.web.Violation;
import dev.tropism.workers.NodeLabels;
import dev.tropism.workers.WorkerNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a job asks of the worker that trains it ({@code resources} of {@code POST /v1/jobs}). Every field is
 * optional; a job asking nothing runs on any worker.
 *
 * @param device {@code cpu} or {@code cuda}; null for either
 * @param pool the worker pool ({@code tropism.worker.pool}); null for any
 * @param minGpuMemoryGb the least GPU memory, in GB (10^9 bytes); implies {@code cuda}; null for no minimum
 */
public record JobResources(String device, String pool, Double minGpuMemoryGb) {

    public static final JobResources ANY = new JobResources(null, null, null);

    /** Parses {@code resources}; absent or null asks nothing. Violations name their JSON pointers. */
    public static JobResources parse(JsonNode node, String pointer, List<Violation> violations) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return ANY;
        }
        if (!node.isObject()) {
            violations.add(new Violation(pointer, "must be an object such as {\"device\": \"cuda\", \"pool\": \"gpu\","
                    + " \"min_gpu_memory_gb\": 24}"));
            return ANY;
        }
        String device = null;
        String pool = null;
        Double minGpu = null;
        for (String key : node.propertyNames()) {
            JsonNode value = node.get(key);
            String at = pointer + "/" + key;
            if (value.isNull()) {
                continue;
            }
            switch (key) {
                case "device" -> {
                    if (value.isString() && (value.stringValue().equals(NodeLabels.CPU)
                            || value.stringValue().equals(NodeLabels.CUDA))) {
                        device = value.stringValue();
                    } else {
                        violations.add(new Violation(at, "must be \"cpu\" or \"cuda\""));
                    }
                }
                case "pool" -> {
                    if (value.isString() && value.stringValue().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                        pool = value.stringValue();
                    } else {
                        violations.add(new Violation(at, "must be a pool name: 1-64 letters, digits, '.', '_' or '-',"
                                + " starting with a letter or digit"));
                    }
                }
                case "min_gpu_memory_gb" -> {
                    if (value.isNumber() && value.doubleValue() > 0 && value.doubleValue() <= 10_000) {
                        minGpu = value.doubleValue();
                    } else {
                        violations.add(new Violation(at, "must be a number of GB above 0 (at most 10000)"));
                    }
                }
                default -> violations.add(new Violation(at, "unknown resource; the resources are device, pool and"
                        + " min_gpu_memory_gb"));
            }
        }
        if (minGpu != null && NodeLabels.CPU.equals(device)) {
            violations.add(new Violation(pointer + "/min_gpu_memory_gb", "asks for GPU memory but device is \"cpu\";"
                    + " drop one of them"));
        }
        return new JobResources(device, pool, minGpu);
    }

    /** The resources of a stored job ({@code resources} column text, possibly null). */
    static JobResources of(String stored, JsonMapper json) {
        if (stored == null) {
            return ANY;
        }
        JsonNode node = json.readTree(stored);
        return new JobResources(text(node, "device"), text(node, "pool"),
                node.path("min_gpu_memory_gb").isNumber() ? node.path("min_gpu_memory_gb").doubleValue() : null);
    }

    private static String text(JsonNode node, String field) {
        return node.path(field).isString() ? node.path(field).stringValue() : null;
    }

    /** The device this asks for: {@code cuda} when only GPU memory is given. */
    String effectiveDevice() {
        return device == null && minGpuMemoryGb != null ? NodeLabels.CUDA : device;
    }

    /** Whether {@code labels} offer all of this. */
    boolean matches(NodeLabels labels) {
        String want = effectiveDevice();
        if (want != null && !want.equals(labels.device())) {
            return false;
        }
        if (pool != null && !pool.equals(labels.pool())) {
            return false;
        }
        return minGpuMemoryGb == null || labels.gpuMemoryGb() != null && labels.gpuMemoryGb() >= minGpuMemoryGb;
    }

    /**
     * Why no live worker can take a job asking for this, for its {@code wait_reason}: no live worker at all, none that
     * matches (with what the live ones offer), or every matching one is full.
     *
     * @param free free slots per live worker id
     */
    String waitReason(List<WorkerNode> live, Map<String, Integer> free) {
        if (live.isEmpty()) {
            return "No worker is running: start a node with tropism.role=worker (or all).";
        }
        List<WorkerNode> matching = live.stream().filter(w -> matches(w.labels())).toList();
        if (matching.isEmpty()) {
            String offered = live.stream().map(w -> w.labels().device() + "/" + w.labels().pool()
                            + (w.labels().gpuMemoryGb() == null ? "" : String.format("/%.0fGB", w.labels().gpuMemoryGb())))
                    .distinct().sorted().collect(Collectors.joining(", "));
            return "No live worker offers " + describe() + " (live workers: " + live.size() + ", offering device/pool: "
                    + offered + ").";
        }
        int slots = matching.stream().mapToInt(WorkerNode::capacity).sum();
        return "Every worker that offers " + describe() + " is busy (" + matching.size() + " worker"
                + (matching.size() == 1 ? "" : "s") + ", " + slots + " slot" + (slots == 1 ? "" : "s")
                + " in use); the job starts when one frees up.";
    }

    /** {@code device=cuda, pool=gpu, min_gpu_memory_gb=24}, or {@code any resources}. */
    String describe() {
        List<String> parts = new ArrayList<>();
        if (effectiveDevice() != null) {
            parts.add("device=" + effectiveDevice());
        }
        if (pool != null) {
            parts.add("pool=" + pool);
        }
        if (minGpuMemoryGb != null) {
            parts.add("min_gpu_memory_gb=" + (minGpuMemoryGb % 1 == 0 ? String.valueOf(minGpuMemoryGb.longValue())
                    : String.valueOf(minGpuMemoryGb)));
        }
        return parts.isEmpty() ? "any resources" : String.join(", ", parts);
    }

    /** The stored and shown JSON; null when nothing is asked. */
    Map<String, Object> toJson() {
        if (equals(ANY)) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", device);
        m.put("pool", pool);
        m.put("min_gpu_memory_gb", minGpuMemoryGb);
        return m;
    }
}
