package dev.tropism.quotas;

/** The quotas a team has, by their wire names (the {@code quota} of a {@code quota_exceeded} problem). */
public enum Quota {
    /** Jobs validating, queued or running at once (a resumed job counts again). */
    CONCURRENT_JOBS("concurrent_jobs"),
    /** Bytes stored for datasets, models (uploaded, imported or produced) and checkpoints. */
    STORED_BYTES("stored_bytes");

    private final String wire;

    Quota(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
