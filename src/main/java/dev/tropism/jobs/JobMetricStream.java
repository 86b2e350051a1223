package dev.tropism.jobs;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Server-sent events of a job's metrics: one {@code metrics} event per step, {@code {"step": s, "metrics":
 * {name: value}}}, first for every step already recorded, then for each new value until the job has ended
 * and everything was sent. Values of one step can arrive in more than one commit (an evaluation is
 * recorded after the step's training values), so a later event may carry more values of a step already
 * sent; a client merges by (name, step). Polled by {@link SsePolling}.
 */
@Component
public class JobMetricStream {

    static final String EVENT = "metrics";

    private final JobMetrics metrics;
    private final JobStore jobs;
    private final SsePolling polling;

    JobMetricStream(JobMetrics metrics, JobStore jobs, SsePolling polling) {
        this.metrics = metrics;
        this.jobs = jobs;
        this.polling = polling;
    }

    /** One SSE payload: the values of {@code step} not sent before. */
    public record StepMetrics(int step, Map<String, Double> metrics) {
    }

    public SseEmitter open(String jobId) {
        // Only the newest step can still gain values: remember its step and the names already sent.
        int[] lastStep = {0};
        Set<String> sentAtLast = new HashSet<>();
        return polling.open(emitter -> {
            // Read the status first: once it is terminal, an empty batch means every value was sent.
            boolean ended = jobs.require(jobId).status().terminal();
            Map<Integer, Map<String, Double>> byStep = new LinkedHashMap<>();
            for (JobMetrics.Row row : metrics.since(jobId, lastStep[0])) {
                if (row.step() == lastStep[0] && sentAtLast.contains(row.name())) {
                    continue;
                }
                byStep.computeIfAbsent(row.step(), k -> new LinkedHashMap<>()).put(row.name(), row.value());
            }
            for (Map.Entry<Integer, Map<String, Double>> e : byStep.entrySet()) {
                emitter.send(SseEmitter.event().id(Integer.toString(e.getKey())).name(EVENT)
                        .data(new StepMetrics(e.getKey(), e.getValue()), MediaType.APPLICATION_JSON));
                if (e.getKey() != lastStep[0]) {
                    lastStep[0] = e.getKey();
                    sentAtLast.clear();
                }
                sentAtLast.addAll(e.getValue().keySet());
            }
            return ended && byStep.isEmpty();
        });
    }
}
