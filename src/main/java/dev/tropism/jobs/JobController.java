package dev.tropism.jobs;

import dev.tropism.billing.Spend;
import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Violation;
import dev.tropism.workers.NodeRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.JsonNode;

/** {@code /v1/jobs}: submit, inspect and steer training jobs. */
@RestController
@RequestMapping("/v1/jobs")
public class JobController {

    private final JobService service;
    private final JobStore jobs;
    private final JobEvents events;
    private final JobEventStream stream;
    private final JobMetrics metrics;
    private final Checkpoints checkpoints;
    private final NodeRegistry nodes;
    private final JobComparison comparison;
    private final Spend spend;

    public JobController(JobService service, JobStore jobs, JobEvents events, JobEventStream stream, JobMetrics metrics,
            Checkpoints checkpoints, NodeRegistry nodes, JobComparison comparison, Spend spend) {
        this.spend = spend;
        this.nodes = nodes;
        this.comparison = comparison;
        this.service = service;
        this.jobs = jobs;
        this.events = events;
        this.stream = stream;
        this.metrics = metrics;
        this.checkpoints = checkpoints;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.JOBS_WRITE)
    public JobView create(Caller caller, @RequestBody CreateJobRequest request) {
        return view(service.submit(caller, request));
    }

    @GetMapping
    @RequiresScope(Scope.JOBS_READ)
    public ListResponse<JobView> list(Caller caller, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String after, @RequestParam(required = false) String status) {
        PageParams page = PageParams.of(limit, after);
        Map<String, String> names = nodes.names();
        List<JobRecord> rows = jobs.list(caller.requireTeam(), status == null ? null : status(status), page);
        Map<String, Spend.JobSpend> spends = spend.jobs(rows.stream().map(JobRecord::id).toList());
        String currency = spend.pricing().currency();
        return page.toResponse(rows, j -> JobView.of(j, names, spends.get(j.id()), currency));
    }

    /** Several jobs side by side: flattened hyperparameters, their differences, and metrics by step and by time. */
    @GetMapping("/compare")
    @RequiresScope(Scope.JOBS_READ)
    public JobComparison.View compare(Caller caller, @RequestParam(required = false) String ids,
            @RequestParam(required = false) String names) {
        return comparison.compare(caller.requireTeam(), ids, names);
    }

    @GetMapping("/{id}")
    @RequiresScope(Scope.JOBS_READ)
    public JobView get(Caller caller, @PathVariable String id) {
        return view(jobs.get(caller.requireTeam(), id));
    }

    @PostMapping("/{id}/cancel")
    @RequiresScope(Scope.JOBS_WRITE)
    public JobView cancel(Caller caller, @PathVariable String id) {
        return view(service.cancel(caller, id));
    }

    @PostMapping("/{id}/pause")
    @RequiresScope(Scope.JOBS_WRITE)
    public JobView pause(Caller caller, @PathVariable String id) {
        return view(service.pause(caller, id));
    }

    @PostMapping("/{id}/resume")
    @RequiresScope(Scope.JOBS_WRITE)
    public JobView resume(Caller caller, @PathVariable String id) {
        return view(service.resume(caller, id));
    }

    /**
     * {@code {"max_spend": amount}}: sets the job's budget (a positive amount; null removes it). A job paused by its
     * budget can be resumed once the budget exceeds its spend.
     */
    @PutMapping("/{id}/budget")
    @RequiresScope(Scope.JOBS_WRITE)
    public JobView budget(Caller caller, @PathVariable String id, @RequestBody JsonNode body) {
        return view(service.setBudget(caller, id, body));
    }

    private JobView view(JobRecord job) {
        return JobView.of(job, job.workerId() == null ? Map.of() : nodes.names(), spend.job(job.id()).orElse(null),
                spend.pricing().currency());
    }

    @GetMapping("/{id}/events")
    @RequiresScope(Scope.JOBS_READ)
    public ListResponse<JobEvent> events(Caller caller, @PathVariable String id,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        jobs.get(caller.requireTeam(), id);
        PageParams page = PageParams.of(limit, after);
        long afterSeq = page.after() == null ? 0 : events.seqOf(id, page.after()).orElseThrow(page::unknownCursor);
        return page.toResponse(events.after(id, afterSeq, page.fetchSize()), e -> e);
    }

    @GetMapping(path = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @RequiresScope(Scope.JOBS_READ)
    public SseEmitter eventStream(Caller caller, @PathVariable String id) {
        jobs.get(caller.requireTeam(), id);
        return stream.open(id);
    }

    /** {@code {"job": id, "metrics": {name: [{step, value}, ...]}}}, optionally only {@code names}. */
    @GetMapping("/{id}/metrics")
    @RequiresScope(Scope.JOBS_READ)
    public Map<String, Object> metrics(Caller caller, @PathVariable String id,
            @RequestParam(required = false) String names) {
        jobs.get(caller.requireTeam(), id);
        Set<String> wanted = names == null ? Set.of() : Arrays.stream(names.split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        return Map.of("job", id, "metrics", metrics.series(id, wanted));
    }

    @GetMapping("/{id}/checkpoints")
    @RequiresScope(Scope.JOBS_READ)
    public ListResponse<Checkpoint> checkpoints(Caller caller, @PathVariable String id) {
        jobs.get(caller.requireTeam(), id);
        return ListResponse.of(checkpoints.list(id), false);
    }

    private static JobStatus status(String wire) {
        try {
            return JobStatus.of(wire);
        } catch (IllegalArgumentException e) {
            String reason = "must be one of " + Arrays.stream(JobStatus.values()).map(JobStatus::wire)
                    .collect(Collectors.joining(", "));
            // A query parameter, answered like a bad limit or after: 400 invalid_parameter.
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter", "status " + reason + ".",
                    List.of(new Violation("/status", reason)));
        }
    }
}
