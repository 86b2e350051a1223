package dev.tropism.ratelimits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateLimitPropertiesTest {

    @Test
    void unsetPoliciesTakeTheirOwnDefaults() {
        RateLimitProperties p = new RateLimitProperties(true, RateLimitProperties.Store.LOCAL,
                new RateLimitProperties.Policy(5L, null), null);
        assertThat(p.api()).isEqualTo(new RateLimitProperties.Policy(5L, 100.0));
        assertThat(p.serving()).isEqualTo(new RateLimitProperties.Policy(1200L, 20.0));
    }

    @Test
    void refusesAnEmptyBucketOrNoRefill() {
        assertThatThrownBy(() -> new RateLimitProperties(true, RateLimitProperties.Store.LOCAL,
                new RateLimitProperties.Policy(0L, 1.0), null))
                .hasMessage("tropism.rate-limits.api.capacity must be >= 1, got 0");
        assertThatThrownBy(() -> new RateLimitProperties(true, RateLimitProperties.Store.LOCAL, null,
                new RateLimitProperties.Policy(10L, 0.0)))
                .hasMessage("tropism.rate-limits.serving.refill-per-second must be > 0, got 0.0");
    }

    @Test
    void theWindowIsTheTimeToRefillAnEmptyBucket() {
        RateLimitProperties p = new RateLimitProperties(true, RateLimitProperties.Store.LOCAL,
                new RateLimitProperties.Policy(3L, 2.0), null);
        RateLimiter limiter = new RateLimiter(p, new BucketStore.Local());
        RateLimiter.Decision first = limiter.consume(RatePolicy.API, "key_1");
        assertThat(first.allowed()).isTrue();
        assertThat(first.capacity()).isEqualTo(3);
        assertThat(first.windowSeconds()).isEqualTo(2); // ceil(3 / 2)
        assertThat(first.remaining()).isEqualTo(2);
        assertThat(first.resetSeconds()).isEqualTo(1); // one token at 2/s is back in 0.5 s
        limiter.consume(RatePolicy.API, "key_1");
        limiter.consume(RatePolicy.API, "key_1");
        RateLimiter.Decision refused = limiter.consume(RatePolicy.API, "key_1");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).isEqualTo(1);
        assertThat(limiter.consume(RatePolicy.SERVING, "key_1").allowed()).as("its own bucket").isTrue();
    }
}
