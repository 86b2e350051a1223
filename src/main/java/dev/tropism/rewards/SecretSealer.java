package dev.tropism.rewards;

/**
 * Encrypts secrets that are kept in the database with the service's secrets key ({@code tropism.secrets.key}), for
 * modules that store credentials of their own (outbound webhooks' signing secrets). Implemented by the cipher of
 * the webhook graders' secrets.
 */
public interface SecretSealer {

    /** The sealed form of {@code plaintext}, safe to store. */
    String encrypt(String plaintext);

    /** The plaintext of {@link #encrypt}'s output; {@link IllegalArgumentException} for a bad or foreign value. */
    String decrypt(String sealed);
}
