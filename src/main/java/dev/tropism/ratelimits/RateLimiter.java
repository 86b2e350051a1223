package dev.tropism.ratelimits;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Takes one token from a key's bucket of a policy, and says what the {@code RateLimit} headers should say.
 *
 * <p>A policy of capacity {@code q} refilled at {@code ρ} tokens a second is a greedy Bucket4j bandwidth: {@code q}
 * tokens spread evenly over {@code q / ρ} seconds, the policy's window {@code w}.
 */
class RateLimiter {

    /**
     * The outcome of one request.
     *
     * @param remaining tokens left in the bucket after this request ({@code r})
     * @param resetSeconds seconds until the bucket is full again ({@code t}), rounded up
     * @param retryAfterSeconds when refused, seconds until one token is back (at least 1); else 0
     */
    record Decision(RatePolicy policy, boolean allowed, long capacity, long windowSeconds, long remaining,
            long resetSeconds, long retryAfterSeconds) {
    }

    private final BucketStore store;
    private final Map<RatePolicy, BucketConfiguration> configurations = new EnumMap<>(RatePolicy.class);
    private final Map<RatePolicy, String> bucketSuffixes = new EnumMap<>(RatePolicy.class);
    private final RateLimitProperties properties;

    RateLimiter(RateLimitProperties properties, BucketStore store) {
        this.properties = properties;
        this.store = store;
        for (RatePolicy p : RatePolicy.values()) {
            RateLimitProperties.Policy policy = properties.policy(p);
            long windowNanos = Math.max(1, Math.round(policy.capacity() / policy.refillPerSecond() * 1e9));
            configurations.put(p, BucketConfiguration.builder()
                    .addLimit(Bandwidth.builder().capacity(policy.capacity())
                            .refillGreedy(policy.capacity(), Duration.ofNanos(windowNanos)).build())
                    .build());
            // A bucket stored with another shape (the configuration changed) is not reused: it gets a new id.
            bucketSuffixes.put(p, ":" + policy.capacity() + "/" + policy.refillPerSecond());
        }
    }

    Decision consume(RatePolicy policy, String keyId) {
        RateLimitProperties.Policy shape = properties.policy(policy);
        ConsumptionProbe probe = store.tryConsumeOne(policy.wire() + ":" + keyId + bucketSuffixes.get(policy),
                configurations.get(policy));
        return new Decision(policy, probe.isConsumed(), shape.capacity(), window(shape), probe.getRemainingTokens(),
                seconds(probe.getNanosToWaitForReset()),
                probe.isConsumed() ? 0 : Math.max(1, seconds(probe.getNanosToWaitForRefill())));
    }

    private static long window(RateLimitProperties.Policy shape) {
        return (long) Math.ceil(shape.capacity() / shape.refillPerSecond());
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
