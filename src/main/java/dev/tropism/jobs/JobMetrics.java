package dev.tropism.jobs;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The {@code job_metrics} series. The primary key (job_id, step, name) guarantees no step is recorded
 * twice. The latest value of each series is also exported as the gauge {@code tropism.job.metric}
 * with tags {@code job} and {@code name}; a finished job's gauges are removed {@link #KEEP_FINISHED}
 * after it finished (so that its final values can still be scraped).
 */
@Repository
public class JobMetrics {

    public static final String GAUGE = "tropism.job.metric";

    private final JdbcClient jdbc;
    private final MeterRegistry registry;
    static final Duration KEEP_FINISHED = Duration.ofMinutes(5);

    private final Map<String, Series> latest = new ConcurrentHashMap<>();
    /** When each finished job whose gauges are still registered finished. */
    private final Map<String, Instant> finished = new ConcurrentHashMap<>();

    private record Series(String jobId, AtomicReference<Double> value, Gauge gauge) {
    }

    public JobMetrics(JdbcClient jdbc, MeterRegistry registry) {
        this.jdbc = jdbc;
        this.registry = registry;
    }

    /** One point of a series. */
    public record Point(int step, double value) {
    }

    public void record(String jobId, int step, Map<String, Double> values) {
        finished.remove(jobId);
        removeFinished(Instant.now());
        for (Map.Entry<String, Double> e : values.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            jdbc.sql("INSERT INTO job_metrics (job_id, step, name, \"value\") VALUES (?, ?, ?, ?)")
                    .params(jobId, step, e.getKey(), e.getValue()).update();
            gauge(jobId, e.getKey()).value().set(e.getValue());
        }
    }

    /** Forgets every point after {@code step} (they will be recomputed from the checkpoint at {@code step}). */
    public int deleteAfter(String jobId, int step) {
        return jdbc.sql("DELETE FROM job_metrics WHERE job_id = ? AND step > ?").params(jobId, step).update();
    }

    /** The values recorded at one step. */
    public Map<String, Double> at(String jobId, int step) {
        Map<String, Double> out = new LinkedHashMap<>();
        jdbc.sql("SELECT name, \"value\" FROM job_metrics WHERE job_id = ? AND step = ? ORDER BY name").params(jobId, step)
                .query(rs -> {
                    out.put(rs.getString("name"), rs.getDouble("value"));
                });
        return out;
    }

    /** Series by name, points in step order; all names when {@code names} is empty. */
    public Map<String, List<Point>> series(String jobId, Collection<String> names) {
        Map<String, List<Point>> out = new LinkedHashMap<>();
        jdbc.sql("SELECT name, step, \"value\" FROM job_metrics WHERE job_id = ? ORDER BY name, step").param(jobId)
                .query(rs -> {
                    String name = rs.getString("name");
                    if (names.isEmpty() || names.contains(name)) {
                        out.computeIfAbsent(name, k -> new ArrayList<>()).add(new Point(rs.getInt("step"), rs.getDouble("value")));
                    }
                });
        return out;
    }

    /** One recorded value: a series name at a step. */
    public record Row(int step, String name, double value) {
    }

    /** Every value recorded at {@code fromStep} or later, in step order (for the metrics stream). */
    public List<Row> since(String jobId, int fromStep) {
        return jdbc.sql("SELECT step, name, \"value\" FROM job_metrics WHERE job_id = ? AND step >= ? ORDER BY step, name")
                .params(jobId, fromStep)
                .query((rs, i) -> new Row(rs.getInt("step"), rs.getString("name"), rs.getDouble("value"))).list();
    }

    /** Marks a job terminal (succeeded, failed, cancelled): its gauges go {@link #KEEP_FINISHED} later. */
    public void finished(String jobId) {
        Instant now = Instant.now();
        finished.put(jobId, now);
        removeFinished(now);
    }

    /** Removes the gauges of the jobs that finished more than {@link #KEEP_FINISHED} before {@code now}. */
    void removeFinished(Instant now) {
        finished.forEach((jobId, at) -> {
            if (at.plus(KEEP_FINISHED).isBefore(now) && finished.remove(jobId, at)) {
                latest.values().removeIf(series -> {
                    if (!series.jobId().equals(jobId)) {
                        return false;
                    }
                    registry.remove(series.gauge());
                    return true;
                });
            }
        });
    }

    private Series gauge(String jobId, String name) {
        return latest.computeIfAbsent(jobId + '\u0000' + name, k -> {
            AtomicReference<Double> holder = new AtomicReference<>(Double.NaN);
            Gauge gauge = Gauge.builder(GAUGE, holder, AtomicReference::get)
                    .description("Latest value of a job's training metric")
                    .tag("job", jobId).tag("name", name).register(registry);
            return new Series(jobId, holder, gauge);
        });
    }
}
