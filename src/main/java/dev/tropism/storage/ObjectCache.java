package dev.tropism.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's content-addressed cache of downloaded objects ({@code tropism.storage.cache.*}): a file per sha256,
 * so a worker that trains several jobs on one base model or dataset downloads it once. Entries are verified when downloaded
 * (the store checks every read against the object's sha256), made read-only, and hard-linked into a job's work
 * directory (copied where the file system cannot link). Least recently used entries go first once the cache holds
 * more than its maximum size.
 */
public final class ObjectCache {

    private static final Logger log = LoggerFactory.getLogger(ObjectCache.class);

    private final ObjectStore store;
    private final Path root;
    private final long maxBytes;

    public ObjectCache(ObjectStore store, Path root, long maxBytes) throws IOException {
        this.store = store;
        this.root = Files.createDirectories(root.resolve("sha256"));
        this.maxBytes = maxBytes;
    }

    /** Puts the object's bytes at {@code target}: from the cache, or downloaded into it first. True on a hit. */
    boolean materialize(StoredObject object, Path target) throws IOException {
        if (!cacheable(object)) {
            copyFromStore(object, target);
            return false;
        }
        Path entry = root.resolve(object.sha256());
        boolean hit = fetch(object, entry);
        try {
            Files.createLink(target, entry);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(entry, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return hit;
    }

    /** The object's bytes, read from the cache (downloaded into it first on a miss). */
    public InputStream open(StoredObject object) throws IOException {
        if (!cacheable(object)) {
            return store.get(object.key()).orElseThrow(() -> new IOException("vanished: " + object.key()));
        }
        Path entry = root.resolve(object.sha256());
        fetch(object, entry);
        return Files.newInputStream(entry);
    }

    private boolean cacheable(StoredObject object) {
        return object.sha256() != null && object.sha256().matches("[0-9a-f]{64}") && maxBytes > 0;
    }

    /** Makes sure {@code entry} holds the object (downloading it on a miss, then evicting); true on a hit. */
    private boolean fetch(StoredObject object, Path entry) throws IOException {
        if (Files.isRegularFile(entry) && Files.size(entry) == object.size()) {
            Files.setLastModifiedTime(entry, FileTime.from(Instant.now())); // recently used
            return true;
        }
        Path partial = Files.createTempFile(root, object.sha256() + ".", ".part");
        try {
            try (InputStream in = store.get(object.key())
                    .orElseThrow(() -> new IOException("vanished: " + object.key()))) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            }
            partial.toFile().setReadOnly();
            try {
                Files.move(partial, entry, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                Files.move(partial, entry, StandardCopyOption.REPLACE_EXISTING); // another launch fetched it too
            }
        } finally {
            Files.deleteIfExists(partial);
        }
        evict(entry);
        return false;
    }

    private void copyFromStore(StoredObject object, Path target) throws IOException {
        try (InputStream in = store.get(object.key()).orElseThrow(() -> new IOException("vanished: " + object.key()))) {
            Files.copy(in, target);
        }
    }

    /** Deletes the least recently used entries (never {@code keep}) until the cache fits its maximum size. */
    private synchronized void evict(Path keep) {
        try (Stream<Path> files = Files.list(root)) {
            List<Path> entries = files.filter(p -> !p.getFileName().toString().endsWith(".part"))
                    .sorted(Comparator.comparing(ObjectCache::lastUsed)).toList();
            long total = 0;
            for (Path p : entries) {
                total += Files.size(p);
            }
            for (Path p : entries) {
                if (total <= maxBytes) {
                    break;
                }
                if (p.equals(keep)) {
                    continue;
                }
                long size = Files.size(p);
                Files.deleteIfExists(p); // a job holding a hard link keeps its copy
                total -= size;
                log.info("evicted {} ({} bytes) from the object cache", p.getFileName(), size);
            }
        } catch (IOException e) {
            log.warn("could not evict from the object cache {}", root, e);
        }
    }

    private static FileTime lastUsed(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
