package dev.tropism.teams;

import dev.tropism.web.Hashes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The admin key: {@code tropism.admin-key} when set, else the one in {@code ${tropism.data-dir}/admin.key},
 * else a new one written there and logged once.
 */
@Component
class AdminKey {

    private static final Logger log = LoggerFactory.getLogger(AdminKey.class);

    private final byte[] hash;

    AdminKey(@Value("${tropism.admin-key:}") String configured, @Value("${tropism.data-dir:./data}") String dataDir) {
        String key = configured == null || configured.isBlank() ? fromFile(Path.of(dataDir, "admin.key")) : configured.trim();
        this.hash = Hashes.sha256().digest(key.getBytes(StandardCharsets.UTF_8));
    }

    private static String fromFile(Path file) {
        try {
            if (Files.exists(file)) {
                String key = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!key.isEmpty()) {
                    return key;
                }
            }
            String key = ApiKeys.newSecret();
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, key + "\n", StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            log.warn("Generated the admin key (stored in {}): {}", file.toAbsolutePath(), key);
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write the admin key file " + file, e);
        }
    }

    boolean matches(String presented) {
        byte[] candidate = Hashes.sha256().digest(presented.getBytes(StandardCharsets.UTF_8));
        return MessageDigest.isEqual(hash, candidate);
    }
}
