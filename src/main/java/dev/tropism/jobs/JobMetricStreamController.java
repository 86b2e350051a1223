package dev.tropism.jobs;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /v1/jobs/{id}/metrics} with {@code Accept: text/event-stream}: the live curves (the JSON
 * variant of the same path is in {@link JobController}). It lets the web UI plot every metric as it is
 * recorded without polling the whole series.
 */
@RestController
@RequiresScope(Scope.JOBS_READ)
class JobMetricStreamController {

    private final JobStore jobs;
    private final JobMetricStream stream;

    JobMetricStreamController(JobStore jobs, JobMetricStream stream) {
        this.jobs = jobs;
        this.stream = stream;
    }

    @GetMapping(path = "/v1/jobs/{id}/metrics", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter metricStream(Caller caller, @PathVariable String id) {
        jobs.get(caller.requireTeam(), id);
        return stream.open(id);
    }
}
