package dev.tropism.jobs;

import dev.tropism.workers.WorkerNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * What an operator watches on the API nodes (Prometheus names): {@code tropism_jobs_queued},
 * {@code tropism_jobs_running}, {@code tropism_workers{state}}, {@code tropism_worker_heartbeat_age_seconds{worker}},
 * {@code tropism_jobs_recovered_total} and {@code tropism_dispatch_failures_total}. The worker gauges are refreshed at
 * each dispatcher sweep; the job counts are read from the database at each scrape.
 */
@Component
class DispatchMetrics {

    private final Counter recovered;
    private final Counter dispatchFailures;
    private final MultiGauge workers;
    private final MultiGauge heartbeatAge;

    DispatchMetrics(MeterRegistry registry, JobStore jobs) {
        Gauge.builder("tropism.jobs.queued", jobs, j -> j.count(JobStatus.QUEUED))
                .description("Jobs waiting for a worker").register(registry);
        Gauge.builder("tropism.jobs.running", jobs, j -> j.count(JobStatus.RUNNING))
                .description("Jobs training on a worker").register(registry);
        recovered = Counter.builder("tropism.jobs.recovered")
                .description("Jobs taken back from a lost worker (requeued, or failed after max-attempts)")
                .register(registry);
        dispatchFailures = Counter.builder("tropism.dispatch.failures")
                .description("Step requests the broker did not take (the job was queued again)").register(registry);
        workers = MultiGauge.builder("tropism.workers").description("Registered training nodes by state")
                .register(registry);
        heartbeatAge = MultiGauge.builder("tropism.worker.heartbeat.age").baseUnit("seconds")
                .description("Time since each training node's last heartbeat").register(registry);
    }

    /** Refreshes the worker gauges from the training nodes the dispatcher's sweep just read. */
    void observe(List<WorkerNode> nodes) {
        Map<String, Long> byState = new java.util.TreeMap<>(Map.of(WorkerNode.ACTIVE, 0L, WorkerNode.LOST, 0L,
                WorkerNode.STOPPED, 0L));
        nodes.forEach(n -> byState.merge(n.state(), 1L, Long::sum));
        workers.register(byState.entrySet().stream()
                .map(e -> MultiGauge.Row.of(Tags.of("state", e.getKey()), e.getValue())).toList(), true);
        heartbeatAge.register(nodes.stream().filter(WorkerNode::alive)
                .map(n -> MultiGauge.Row.of(Tags.of("worker", n.name()), n.heartbeatAgeMillis() / 1000.0)).toList(),
                true);
    }

    void recovered() {
        recovered.increment();
    }

    void dispatchFailed() {
        dispatchFailures.increment();
    }
}
