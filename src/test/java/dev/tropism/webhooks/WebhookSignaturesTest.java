package dev.tropism.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Signatures against the Standard Webhooks specification's example, secrets' checks, and the retry schedule by hand. */
class WebhookSignaturesTest {

    @Test
    void signsTheSpecificationsExample() {
        // The example of standardwebhooks.com's "Signature scheme" section: secret, id, timestamp and body as given.
        String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        byte[] body = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignatures.header("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, List.of(secret)))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        String other = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
        assertThat(WebhookSignatures.header("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, List.of(other, secret)))
                .matches("v1,[A-Za-z0-9+/]{43}= v1,g0hM9SsE\\+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void secretsAreWhsecAndTwentyFourToSixtyFourBytes() {
        assertThat(WebhookSignatures.problem(WebhookSignatures.generate())).isNull();
        assertThat(Base64.getDecoder().decode(WebhookSignatures.generate().substring(6))).hasSize(32);
        assertThat(WebhookSignatures.problem("whsec_" + Base64.getEncoder().encodeToString(new byte[24]))).isNull();
        assertThat(WebhookSignatures.problem("whsec_" + Base64.getEncoder().encodeToString(new byte[64]))).isNull();
        assertThat(WebhookSignatures.problem("whsec_" + Base64.getEncoder().encodeToString(new byte[23]))).contains("got 23");
        assertThat(WebhookSignatures.problem("whsec_" + Base64.getEncoder().encodeToString(new byte[65]))).contains("got 65");
        assertThat(WebhookSignatures.problem("sk_" + Base64.getEncoder().encodeToString(new byte[32]))).contains("whsec_");
        assertThat(WebhookSignatures.problem("whsec_%%%")).contains("base64");
    }

    @Test
    void backoffDoublesFromTheInitialWaitUpToTheCapWithEqualJitter() {
        WebhookDeliveryProperties p = new WebhookDeliveryProperties(true, Duration.ofSeconds(10), Duration.ofHours(1),
                Duration.ofHours(24), Duration.ofSeconds(1), 8, Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofHours(24));
        // failure 1: 10 s, half of it fixed → [5 s, 10 s)
        assertThat(p.backoff(1, 0.0)).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.backoff(1, 0.5)).isEqualTo(Duration.ofMillis(7_500));
        // failure 4: 10·2³ = 80 s → [40 s, 80 s)
        assertThat(p.backoff(4, 0.0)).isEqualTo(Duration.ofSeconds(40));
        // failure 9: 10·2⁸ = 2,560 s; failure 10: 5,120 s capped at 3,600 s → [1,800 s, 3,600 s)
        assertThat(p.backoff(9, 0.0)).isEqualTo(Duration.ofSeconds(1_280));
        assertThat(p.backoff(10, 0.0)).isEqualTo(Duration.ofSeconds(1_800));
        assertThat(p.backoff(200, 0.999_999)).isLessThan(Duration.ofHours(1)).isGreaterThan(Duration.ofMinutes(59));
    }

    @Test
    void settingsAreCheckedAtStartup() {
        assertThatThrownBy(() -> new WebhookDeliveryProperties(true, Duration.ofSeconds(10), Duration.ofSeconds(5),
                Duration.ofHours(24), Duration.ofSeconds(1), 8, Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofHours(24))).hasMessageContaining("max-backoff");
        assertThatThrownBy(() -> new WebhookDeliveryProperties(true, Duration.ofSeconds(10), Duration.ofHours(1),
                Duration.ofHours(24), Duration.ofSeconds(1), 8, Duration.ofSeconds(10), Duration.ofSeconds(15),
                Duration.ofHours(24))).hasMessageContaining("lease");
        assertThatThrownBy(() -> new WebhookDeliveryProperties(true, Duration.ofSeconds(10), Duration.ofHours(1),
                Duration.ofHours(24), Duration.ofSeconds(1), 0, Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofHours(24))).hasMessageContaining("batch-size");
    }
}
