package dev.tropism.jobs;

import dev.tropism.quotas.QuotaUsage;
import org.springframework.stereotype.Component;

/** The jobs' part of a team's quotas: its jobs in flight, and the bytes of its jobs' checkpoints. */
@Component
class JobQuotaUsage implements QuotaUsage {

    private final JobStore jobs;
    private final Checkpoints checkpoints;

    JobQuotaUsage(JobStore jobs, Checkpoints checkpoints) {
        this.jobs = jobs;
        this.checkpoints = checkpoints;
    }

    @Override
    public long storedBytes(String teamId) {
        return checkpoints.storedBytes(teamId);
    }

    @Override
    public long concurrentJobs(String teamId) {
        return jobs.inFlight(teamId);
    }
}
