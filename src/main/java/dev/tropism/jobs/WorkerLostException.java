package dev.tropism.jobs;

/**
 * Why a job failed when its workers kept dying under it: {@code tropism.jobs.max-attempts} of them were lost (no
 * heartbeat) since its last checkpoint. A step that kills every worker it runs on does not loop forever.
 */
class WorkerLostException extends RuntimeException {

    WorkerLostException(String message) {
        super(message);
    }
}
