package dev.tropism.jobs;

/**
 * A launch tried to write to a job that has moved on without it: the job was requeued after its worker was taken
 * for lost (a network partition, a long pause), and may run elsewhere now. Thrown inside the launch's step
 * transaction, so whatever that step wrote (metrics, a checkpoint row) rolls back; the launch then ends.
 */
class LaunchFencedException extends RuntimeException {

    LaunchFencedException(String jobId, long batchExecutionId) {
        super("job " + jobId + " no longer runs under batch execution " + batchExecutionId
                + " (its worker was taken for lost and the job requeued); this launch stops without writing");
    }
}
