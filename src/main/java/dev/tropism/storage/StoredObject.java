package dev.tropism.storage;

import java.time.Instant;

/** Metadata of one stored object. {@code sha256} is lowercase hex of the object's bytes. */
public record StoredObject(String key, long size, String sha256, Instant lastModified) {
}
