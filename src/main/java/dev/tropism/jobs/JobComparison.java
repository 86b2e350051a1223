package dev.tropism.jobs;

import dev.tropism.engine.MetricNames;
import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /v1/jobs/compare}: several jobs of a team side by side, as experiment trackers show runs. Each job's
 * stored method is flattened to dotted keys ({@code grpo.learning_rate}); the keys whose values differ are listed per
 * job; the chosen metrics are returned per job with each point's training time so far ({@code elapsed_seconds}: the
 * sum of the job's {@code perf/step_seconds} and {@code perf/bookkeeping_seconds} up to that step), for a wall-time
 * axis that leaves out time spent queued or paused.
 */
@Service
public class JobComparison {

    /** Jobs compared at once, at most. */
    static final int MAX_JOBS = 10;

    private final JobStore jobs;
    private final JobMetrics metrics;
    private final JsonMapper json;

    public JobComparison(JobStore jobs, JobMetrics metrics, JsonMapper json) {
        this.jobs = jobs;
        this.metrics = metrics;
        this.json = json;
    }

    /** One compared job. */
    public record Job(String id, String status, String methodType, String model, String suffix, long seed,
            int currentStep,
            Integer totalSteps, Instant createdAt, Instant finishedAt, Map<String, Object> hyperparameters) {
    }

    /** A metric value at a step, with the job's training time up to that step (null without step timings). */
    public record Point(int step, double value, Double elapsedSeconds) {
    }

    /** The answer. */
    public record View(String object, List<Job> jobs, Map<String, Map<String, Object>> differences,
            Map<String, Map<String, List<Point>>> metrics, List<String> metricNames) {
    }

    /**
     * @param ids comma-separated job ids, 2 to {@value #MAX_JOBS}, distinct (400 at {@code /ids} otherwise; another
     *        team's or an unknown job is a 404)
     * @param names comma-separated metric names; null or blank: every metric the jobs have
     */
    public View compare(String teamId, String ids, String names) {
        List<String> wanted = split(ids);
        String problem = wanted.size() < 2 ? "must name at least 2 jobs, comma-separated"
                : wanted.size() > MAX_JOBS ? "must name at most " + MAX_JOBS + " jobs, got " + wanted.size()
                : new LinkedHashSet<>(wanted).size() != wanted.size() ? "must not name a job twice" : null;
        if (problem != null) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter", "ids " + problem + ".",
                    List.of(new Violation("/ids", problem)));
        }
        Set<String> metricNames = new LinkedHashSet<>(split(names));
        List<Job> compared = new ArrayList<>();
        Map<String, Map<String, List<Point>>> series = new TreeMap<>();
        Set<String> allNames = new TreeSet<>();
        for (String id : wanted) {
            JobRecord job = jobs.get(teamId, id);
            JsonNode method = json.readTree(job.method());
            Map<String, Object> hyper = new TreeMap<>();
            flatten("", method, hyper);
            hyper.remove("type");
            compared.add(new Job(job.id(), job.status().wire(), method.path("type").asString(null), job.model(),
                    job.suffix(), job.seed(), job.currentStep(), job.totalSteps(), job.createdAt(), job.finishedAt(),
                    hyper));
            Map<String, List<JobMetrics.Point>> all = metrics.series(id, Set.of());
            allNames.addAll(all.keySet());
            Map<Integer, Double> elapsed = elapsed(all);
            all.forEach((name, points) -> {
                if (metricNames.isEmpty() || metricNames.contains(name)) {
                    List<Point> out = new ArrayList<>(points.size());
                    for (JobMetrics.Point p : points) {
                        out.add(new Point(p.step(), p.value(), elapsed.get(p.step())));
                    }
                    series.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(id, out);
                }
            });
        }
        return new View("job_comparison", compared, differences(compared), series, List.copyOf(allNames));
    }

    /** Training seconds up to each step: the running sum of its step and bookkeeping times. */
    private static Map<Integer, Double> elapsed(Map<String, List<JobMetrics.Point>> all) {
        Map<Integer, Double> perStep = new TreeMap<>();
        for (String name : List.of(MetricNames.PERF_STEP_SECONDS, MetricNames.PERF_BOOKKEEPING_SECONDS)) {
            for (JobMetrics.Point p : all.getOrDefault(name, List.of())) {
                perStep.merge(p.step(), p.value(), Double::sum);
            }
        }
        Map<Integer, Double> cumulative = new HashMap<>();
        double sum = 0;
        for (Map.Entry<Integer, Double> e : perStep.entrySet()) {
            sum += e.getValue();
            cumulative.put(e.getKey(), sum);
        }
        if (!cumulative.isEmpty()) {
            cumulative.putIfAbsent(0, 0.0); // an evaluation before the first step
        }
        return cumulative;
    }

    /**
     * The hyperparameters whose values are not the same in every job, with every job's value (null: absent); each
     * entry names every compared job.
     */
    private static Map<String, Map<String, Object>> differences(List<Job> compared) {
        Set<String> keys = new TreeSet<>();
        compared.forEach(j -> keys.addAll(j.hyperparameters().keySet()));
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (String key : keys) {
            Map<String, Object> values = new LinkedHashMap<>();
            compared.forEach(j -> values.put(j.id(), j.hyperparameters().get(key)));
            if (values.values().stream().distinct().count() > 1) { // absent (null) differs from any value
                out.put(key, values);
            }
        }
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, Object> out) {
        if (node.isObject()) {
            for (String field : node.propertyNames()) {
                flatten(prefix.isEmpty() ? field : prefix + "." + field, node.get(field), out);
            }
        } else if (node.isNumber()) {
            out.put(prefix, node.numberValue());
        } else if (node.isBoolean()) {
            out.put(prefix, node.booleanValue());
        } else if (node.isNull()) {
            out.put(prefix, null);
        } else {
            out.put(prefix, node.isString() ? node.stringValue() : node.toString());
        }
    }

    private static List<String> split(String csv) {
        List<String> out = new ArrayList<>();
        if (csv != null) {
            for (String s : csv.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }
}
