package dev.tropism.workers;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ListResponse;
import io.swagger.v3.oas.annotations.Parameter;
import java.time.Instant;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /v1/workers} (admin): the nodes that train, with their labels, load and heartbeats. */
@RestController
@RequestMapping("/v1/workers")
@RequiresScope(Scope.OPERATOR)
class WorkersController {

    /** A worker as the API shows it. */
    record WorkerView(String id, String object, String name, String role, String state, Labels labels, int capacity,
            List<String> runningJobs, Instant startedAt, Instant heartbeatAt, double heartbeatAgeSeconds) {

        static WorkerView of(WorkerNode n) {
            NodeLabels l = n.labels();
            return new WorkerView(n.id(), "worker", n.name(), n.role().wire(), n.state(),
                    new Labels(l.device(), l.gpuModel(), round(l.gpuMemoryGb()), round(l.ramBytes() / 1e9), l.pool()),
                    n.capacity(), n.runningJobs(), n.startedAt(), n.heartbeatAt(), n.heartbeatAgeMillis() / 1000.0);
        }

        private static Double round(Double gb) {
            return gb == null ? null : Math.round(gb * 10) / 10.0;
        }
    }

    record Labels(String device, String gpuModel, Double gpuMemoryGb, Double ramGb, String pool) {
    }

    private final NodeRegistry registry;

    WorkersController(NodeRegistry registry) {
        this.registry = registry;
    }

    @GetMapping
    ListResponse<WorkerView> list(@Parameter(hidden = true) Caller caller) {
        caller.requireAdmin();
        return ListResponse.of(registry.workers().stream().map(WorkerView::of).toList(), false);
    }
}
