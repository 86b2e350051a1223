package dev.tropism.quotas;

/**
 * A team is at or above one of its quotas: 409 problem {@code quota_exceeded} with {@code quota}, {@code limit},
 * {@code used} and a detail saying how to free or raise it (rendered by {@link QuotaAdvice}).
 */
public class QuotaExceededException extends RuntimeException {

    private final Quota quota;
    private final long limit;
    private final long used;

    public QuotaExceededException(Quota quota, long limit, long used, String detail) {
        super(detail);
        this.quota = quota;
        this.limit = limit;
        this.used = used;
    }

    public Quota quota() {
        return quota;
    }

    public long limit() {
        return limit;
    }

    public long used() {
        return used;
    }
}
