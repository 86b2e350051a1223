package dev.tropism.quotas;

/**
 * What one module holds for a team, as the quotas count it. Implemented by each module that stores bytes or runs
 * jobs; {@link Quotas} sums every implementation, so that this module never depends on them.
 */
public interface QuotaUsage {

    /** Bytes this module stores for the team in object storage, each object counted once. */
    long storedBytes(String teamId);

    /** The team's jobs that count against {@link Quota#CONCURRENT_JOBS}; 0 for a module that runs none. */
    default long concurrentJobs(String teamId) {
        return 0;
    }
}
