package dev.tropism.rewards.webhook;

import dev.tropism.rewards.SecretSealer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Encrypts secrets kept in the database (webhook scorer credentials) with AES-256-GCM, the
 * authenticated mode of NIST SP 800-38D, through the JDK's JCE provider: a fresh random 96-bit IV per
 * secret (the size SP 800-38D §8.2 recommends) and a 128-bit tag, so a tampered ciphertext fails to
 * decrypt instead of yielding another secret. A sealed value reads {@code v1:<base64(iv ‖ ciphertext ‖ tag)>};
 * the version prefix leaves room for key rotation.
 *
 * <p>The key is {@code tropism.secrets.key} (base64 of 32 bytes) when set, else the one in
 * {@code ${tropism.data-dir}/secrets.key}, else a new random key written there with mode 600 (like the
 * admin key). The key itself is never logged. Losing the key file makes stored secrets unreadable: back
 * it up with the database.
 */
@Component
public class SecretCipher implements SecretSealer {

    private static final Logger log = LoggerFactory.getLogger(SecretCipher.class);

    static final String VERSION = "v1:";
    private static final int KEY_BYTES = 32; // AES-256
    private static final int IV_BYTES = 12; // SP 800-38D §8.2: 96-bit IVs
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKey key;

    public SecretCipher(@Value("${tropism.secrets.key:}") String configured, @Value("${tropism.data-dir:./data}") String dataDir) {
        byte[] raw = configured == null || configured.isBlank()
                ? fromFile(Path.of(dataDir, "secrets.key"))
                : decodeKey(configured.trim(), "tropism.secrets.key");
        this.key = new SecretKeySpec(raw, "AES");
    }

    /** A cipher with a given key (tests). */
    public static SecretCipher withKey(byte[] key) {
        return new SecretCipher(Base64.getEncoder().encodeToString(key), ".");
    }

    /** {@code v1:<base64(iv ‖ ciphertext ‖ tag)>}. */
    @Override
    public String encrypt(String plaintext) {
        byte[] iv = new byte[IV_BYTES];
        RANDOM.nextBytes(iv);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            byte[] ct = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return VERSION + Base64.getEncoder().encodeToString(ByteBuffer.allocate(iv.length + ct.length).put(iv).put(ct).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /** The plaintext of {@link #encrypt}'s output; {@link IllegalArgumentException} for a bad or foreign value. */
    @Override
    public String decrypt(String sealed) {
        if (sealed == null || !sealed.startsWith(VERSION)) {
            throw new IllegalArgumentException("not a " + VERSION + " sealed secret");
        }
        byte[] all;
        try {
            all = Base64.getDecoder().decode(sealed.substring(VERSION.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sealed secret is not base64");
        }
        if (all.length < IV_BYTES + TAG_BITS / 8) {
            throw new IllegalArgumentException("sealed secret is too short");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, IV_BYTES));
            return new String(c.doFinal(all, IV_BYTES, all.length - IV_BYTES), StandardCharsets.UTF_8);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalArgumentException("sealed secret does not authenticate under this key (tropism.secrets.key changed?)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed", e);
        }
    }

    private static byte[] decodeKey(String base64, String source) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not base64");
        }
        if (raw.length != KEY_BYTES) {
            throw new IllegalArgumentException(source + " must be base64 of " + KEY_BYTES + " bytes (AES-256), got "
                    + raw.length + " bytes");
        }
        return raw;
    }

    private static byte[] fromFile(Path file) {
        try {
            if (Files.exists(file)) {
                String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
                if (!text.isEmpty()) {
                    return decodeKey(text, file.toString());
                }
            }
            byte[] raw = new byte[KEY_BYTES];
            RANDOM.nextBytes(raw);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.deleteIfExists(file); // an empty file left by a crash
            try {
                // Created with mode 600 so that the key is never readable by others, not even briefly.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(file);
            }
            Files.writeString(file, Base64.getEncoder().encodeToString(raw) + "\n", StandardCharsets.US_ASCII);
            log.warn("Generated the secrets encryption key in {} (mode 600); back it up with the database", file.toAbsolutePath());
            return raw;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write the secrets key file " + file, e);
        }
    }
}
