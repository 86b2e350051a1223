package dev.tropism.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;

/** Moves directories (checkpoints, exported models) between local disk and object storage. */
@Component
public class Artifacts {

    private final ObjectStore store;
    private final ObjectCache cache;

    public Artifacts(ObjectStore store, ObjectCache cache) {
        this.store = store;
        this.cache = cache;
    }

    /**
     * What an {@link #upload} stored.
     *
     * @param files how many objects
     * @param bytes their total size, as the store recorded it
     */
    public record Uploaded(int files, long bytes) {
    }

    /** Uploads every regular file under {@code dir} to {@code prefix + relative/path}; returns how many and their bytes. */
    public Uploaded upload(Path dir, String prefix) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        long bytes = 0;
        for (Path file : files) {
            String key = prefix + dir.relativize(file).toString().replace(dir.getFileSystem().getSeparator(), "/");
            try (InputStream in = Files.newInputStream(file)) {
                bytes += store.put(key, in).size();
            }
        }
        return new Uploaded(files.size(), bytes);
    }

    /** The total size of the objects under {@code prefix} (0 when there are none). */
    public long sizeOf(String prefix) throws IOException {
        return store.list(prefix).stream().mapToLong(StoredObject::size).sum();
    }

    /** Downloads every object under {@code prefix} into {@code dir}, recreating the relative paths. */
    public int download(String prefix, Path dir) throws IOException {
        return download(prefix, dir, false);
    }

    /**
     * Like {@link #download(String, Path)}, through this node's {@link ObjectCache}: for what several launches read
     * unchanged (base models). The files may be hard links into the cache, so they must not be written to.
     */
    public int downloadCached(String prefix, Path dir) throws IOException {
        return download(prefix, dir, true);
    }

    private int download(String prefix, Path dir, boolean cached) throws IOException {
        List<StoredObject> objects = store.list(prefix);
        if (objects.isEmpty()) {
            throw new IOException("no objects under " + prefix);
        }
        for (StoredObject o : objects) {
            Path target = dir.resolve(o.key().substring(prefix.length())).normalize();
            if (!target.startsWith(dir)) {
                throw new IOException("object key escapes its prefix: " + o.key());
            }
            Files.createDirectories(target.getParent());
            if (cached) {
                cache.materialize(o, target);
                continue;
            }
            try (InputStream in = store.get(o.key()).orElseThrow(() -> new IOException("vanished: " + o.key()))) {
                Files.copy(in, target);
            }
        }
        return objects.size();
    }

    /** Deletes a local directory tree, ignoring what is already gone. */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
