package dev.tropism.jobs;

/**
 * A checkpoint of a job was deleted (its row, its objects, and its model made unavailable). Published inside the
 * transaction that deletes the row; its objects are removed from object storage after that transaction commits.
 *
 * @param reason why: {@link #RETENTION} for the job's retention policy
 */
public record CheckpointDeleted(String jobId, String teamId, String checkpointId, int step, String reason) {

    /** Deleted by the job's retention policy ({@link RetentionPolicy}). */
    public static final String RETENTION = "retention";
}
