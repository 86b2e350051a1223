package dev.tropism.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Secrets and signatures of the Standard Webhooks specification (standardwebhooks.com, "Signature scheme"): a secret
 * is {@code whsec_} followed by the base64 of its key bytes, and a delivery is signed as
 * {@code v1,<base64(HMAC-SHA256(key, webhook-id + "." + webhook-timestamp + "." + body))>}; several signatures (during
 * a secret rotation) are separated by spaces.
 */
final class WebhookSignatures {

    static final String PREFIX = "whsec_";
    /** Fewer key bytes than this are refused (192 bits); the spec asks for 24 to 64. */
    static final int MIN_KEY_BYTES = 24;
    static final int MAX_KEY_BYTES = 64;
    /** Key bytes of a generated secret: 256 bits, as long as an HMAC-SHA256 tag. */
    static final int GENERATED_KEY_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookSignatures() {
    }

    /** A new random secret. */
    static String generate() {
        byte[] key = new byte[GENERATED_KEY_BYTES];
        RANDOM.nextBytes(key);
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** Why {@code secret} is not a valid secret, or null when it is. Never quotes the secret. */
    static String problem(String secret) {
        if (!secret.startsWith(PREFIX)) {
            return "must start with " + PREFIX + " followed by the base64 of " + MIN_KEY_BYTES + " to " + MAX_KEY_BYTES
                    + " random bytes";
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return "must be " + PREFIX + " followed by standard base64 (A-Z, a-z, 0-9, +, /, = padding)";
        }
        if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
            return "must encode " + MIN_KEY_BYTES + " to " + MAX_KEY_BYTES + " bytes, got " + key.length;
        }
        return null;
    }

    /** The {@code webhook-signature} header: one {@code v1,<signature>} per secret, space-separated. */
    static String header(String id, long timestamp, byte[] body, List<String> secrets) {
        StringBuilder out = new StringBuilder();
        for (String secret : secrets) {
            if (!out.isEmpty()) {
                out.append(' ');
            }
            out.append("v1,").append(sign(secret, id, timestamp, body));
        }
        return out.toString();
    }

    /** base64(HMAC-SHA256(key of {@code secret}, {@code id.timestamp.body})). */
    static String sign(String secret, String id, long timestamp, byte[] body) {
        byte[] key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
        }
    }
}
