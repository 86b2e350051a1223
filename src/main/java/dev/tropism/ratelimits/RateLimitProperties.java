package dev.tropism.ratelimits;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.rate-limits.*}: one token bucket per API key and policy (Bucket4j). A request takes one token; an
 * empty bucket answers 429. The admin key is not limited.
 *
 * @param enabled false turns rate limiting (and its headers) off
 * @param store {@code local}: buckets in this process's memory (each API instance limits on its own);
 *     {@code postgresql}: buckets in the database's {@code rate_limit_buckets}, shared by every API instance (one
 *     {@code SELECT ... FOR UPDATE} round trip per request)
 * @param api every {@code /v1/**} route but inference. Default: bursts of 6,000, refilled at 100 a second (a UI or a
 *     polling script stays far below; a runaway loop does not)
 * @param serving inference routes (those requiring the {@code inference} scope). Default: bursts of 1,200, refilled at
 *     20 a second
 */
@ConfigurationProperties("tropism.rate-limits")
public record RateLimitProperties(@DefaultValue("true") boolean enabled, @DefaultValue("local") Store store,
        Policy api, Policy serving) {

    /** Where buckets live. */
    public enum Store {
        LOCAL, POSTGRESQL
    }

    /**
     * One bucket's shape.
     *
     * @param capacity the most requests in a burst: the bucket's size, full at first
     * @param refillPerSecond tokens added back per second, smoothly (greedy refill); may be below 1
     */
    public record Policy(Long capacity, Double refillPerSecond) {

        Policy withDefaults(String name, long defaultCapacity, double defaultRefill) {
            Policy p = new Policy(capacity == null ? defaultCapacity : capacity,
                    refillPerSecond == null ? defaultRefill : refillPerSecond);
            if (p.capacity < 1) {
                throw new IllegalArgumentException("tropism.rate-limits." + name + ".capacity must be >= 1, got "
                        + p.capacity);
            }
            if (!(p.refillPerSecond > 0) || p.refillPerSecond.isInfinite()) {
                throw new IllegalArgumentException("tropism.rate-limits." + name + ".refill-per-second must be > 0, got "
                        + p.refillPerSecond);
            }
            return p;
        }
    }

    public RateLimitProperties {
        api = (api == null ? new Policy(null, null) : api).withDefaults("api", 6000, 100);
        serving = (serving == null ? new Policy(null, null) : serving).withDefaults("serving", 1200, 20);
    }

    Policy policy(RatePolicy policy) {
        return policy == RatePolicy.API ? api : serving;
    }
}
