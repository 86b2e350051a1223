package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.rewards.webhook.SecretCipher;
import dev.tropism.rewards.webhook.WebhookSecrets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class WebhookSecretsTest {

    static final byte[] KEY = new byte[32];

    static {
        Arrays.fill(KEY, (byte) 7);
    }

    final SecretCipher cipher = SecretCipher.withKey(KEY);
    final WebhookSecrets secrets = new WebhookSecrets(cipher);

    @Test
    void aesGcmRoundTripsWithAFreshIvAndRejectsTampering() {
        String a = cipher.encrypt("s3cr3t");
        String b = cipher.encrypt("s3cr3t");
        assertThat(a).startsWith("v1:").doesNotContain("s3cr3t").isNotEqualTo(b); // random IV per secret
        // 12-byte IV + 6-byte ciphertext + 16-byte tag
        assertThat(Base64.getDecoder().decode(a.substring(3))).hasSize(12 + 6 + 16);
        assertThat(cipher.decrypt(a)).isEqualTo("s3cr3t");
        assertThat(cipher.decrypt(b)).isEqualTo("s3cr3t");

        byte[] raw = Base64.getDecoder().decode(a.substring(3));
        raw[14] ^= 1;
        String tampered = "v1:" + Base64.getEncoder().encodeToString(raw);
        assertThatThrownBy(() -> cipher.decrypt(tampered)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not authenticate");
        byte[] otherKey = KEY.clone();
        otherKey[0] = 8;
        assertThatThrownBy(() -> SecretCipher.withKey(otherKey).decrypt(a)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SecretCipher.withKey(new byte[16])).hasMessageContaining("32 bytes");
    }

    @Test
    void generatesTheKeyFileOnceWithMode600(@TempDir Path dir) throws Exception {
        SecretCipher first = new SecretCipher("", dir.toString());
        Path file = dir.resolve("secrets.key");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).trim())).hasSize(32);
        // A restart reads the same key back, so stored secrets stay readable.
        assertThat(new SecretCipher("", dir.toString()).decrypt(first.encrypt("x"))).isEqualTo("x");
    }

    @Test
    void sealsOpensAndRedactsNestedWebhookSecrets() {
        JsonNode spec = GraderTests.JSON.readTree("{\"type\":\"multi\",\"name\":\"m\",\"graders\":{"
                + "\"a\":{\"type\":\"webhook\",\"name\":\"a\",\"url\":\"http://h/x\",\"secret\":\"tok-A\"},"
                + "\"b\":{\"type\":\"webhook\",\"name\":\"b\",\"url\":\"http://h/y\"},"
                + "\"c\":{\"type\":\"string_check\",\"name\":\"c\",\"secret\":\"not a webhook\"}}}");
        JsonNode sealed = secrets.seal(spec);
        assertThat(sealed.toString()).doesNotContain("tok-A");
        assertThat(sealed.at("/graders/a/secret/encrypted").asString()).startsWith("v1:");
        assertThat(sealed.at("/graders/b").has("secret")).isFalse();
        assertThat(sealed.at("/graders/c/secret").asString()).isEqualTo("not a webhook");
        assertThat(spec.at("/graders/a/secret").asString()).isEqualTo("tok-A"); // the input is not changed

        assertThat(secrets.open(sealed)).isEqualTo(spec);
        JsonNode shown = secrets.redact(sealed);
        assertThat(shown.at("/graders/a/secret").asString()).isEqualTo("********");
        assertThat(shown.toString()).doesNotContain("v1:");
    }
}
