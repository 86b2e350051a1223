package dev.tropism.audit;

import java.util.Locale;

/** How an audited call or action ended, from its HTTP status. */
public enum AuditOutcome {
    /** 1xx to 3xx, and every system action. */
    SUCCEEDED,
    /** 401 or 403: authentication failed, or the key may not do this. */
    DENIED,
    /** Any other 4xx: the request was refused (invalid, not found, conflict, rate limited...). */
    REJECTED,
    /** 5xx. */
    FAILED;

    public static AuditOutcome of(int status) {
        if (status == 401 || status == 403) {
            return DENIED;
        }
        if (status >= 500) {
            return FAILED;
        }
        return status >= 400 ? REJECTED : SUCCEEDED;
    }

    /** The name stored and shown: {@code succeeded}, {@code denied}, {@code rejected}, {@code failed}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
