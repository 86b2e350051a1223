package dev.tropism.jobs;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.ListResponse;
import java.time.Instant;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /v1/jobs/{id}/samples}: the sample grids that image jobs draw at each evaluation. */
@RestController
@RequestMapping("/v1/jobs/{id}/samples")
@RequiresScope(Scope.JOBS_READ)
class JobSamplesController {

    private final JobStore jobs;
    private final JobSamples samples;

    JobSamplesController(JobStore jobs, JobSamples samples) {
        this.jobs = jobs;
        this.samples = samples;
    }

    /** One grid as listed: its step, where to fetch it, and when it was drawn. */
    record SampleView(int step, String url, Instant createdAt) {
    }

    /** A list ({@code data}: {step, url, created_at}) by step; empty for jobs that draw no images. */
    @GetMapping
    ListResponse<SampleView> list(Caller caller, @PathVariable String id) {
        jobs.get(caller.requireTeam(), id);
        return ListResponse.of(samples.list(id).stream()
                .map(s -> new SampleView(s.step(), "/v1/jobs/" + id + "/samples/" + s.step() + ".png", s.createdAt()))
                .toList(), false);
    }

    @GetMapping("/{step}.png")
    ResponseEntity<byte[]> get(Caller caller, @PathVariable String id, @PathVariable String step) {
        jobs.get(caller.requireTeam(), id);
        byte[] png = parseStep(step).flatMap(s -> samples.get(id, s)).orElseThrow(() -> new ApiException(
                HttpStatus.NOT_FOUND, "not_found", "Job " + id + " has no samples at step '" + step + "'."));
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(png);
    }

    private static Optional<Integer> parseStep(String step) {
        if (!step.matches("\\d{1,9}")) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(step));
    }
}
