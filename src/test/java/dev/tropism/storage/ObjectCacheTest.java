package dev.tropism.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker's cache of downloaded objects: content-addressed, hit on the second download, bounded by size. */
class ObjectCacheTest {

    @TempDir Path tmp;

    @Test
    void aSecondDownloadOfTheSameBytesIsServedFromTheCacheAndOldEntriesAreEvicted() throws Exception {
        LocalObjectStore store = new LocalObjectStore(tmp.resolve("objects"));
        byte[] weights = new byte[3000];
        weights[7] = 42;
        store.put("models/a/model.bin", new ByteArrayInputStream(weights));
        store.put("models/a/config.json", new ByteArrayInputStream("{}".getBytes()));
        // The same weights under another model: one cache entry serves both.
        store.put("models/b/model.bin", new ByteArrayInputStream(weights));
        ObjectCache cache = new ObjectCache(store, tmp.resolve("cache"), 5000);
        Artifacts artifacts = new Artifacts(store, cache);

        assertThat(artifacts.downloadCached("models/a/", tmp.resolve("job1"))).isEqualTo(2);
        assertThat(Files.readAllBytes(tmp.resolve("job1/model.bin"))).isEqualTo(weights);
        String sha = store.stat("models/a/model.bin").orElseThrow().sha256();
        Path entry = tmp.resolve("cache/sha256").resolve(sha);
        assertThat(entry).isRegularFile();
        assertThat(Files.getPosixFilePermissions(entry)).doesNotContain(PosixFilePermission.OWNER_WRITE);

        // A hit: the store's object may even be gone, the cached bytes are used.
        StoredObject b = store.stat("models/b/model.bin").orElseThrow();
        assertThat(cache.materialize(b, tmp.resolve("job2.bin"))).isTrue();
        assertThat(Files.readAllBytes(tmp.resolve("job2.bin"))).isEqualTo(weights);

        // Over 5000 bytes in all, the least recently used entry goes.
        Files.setLastModifiedTime(entry, FileTime.from(Instant.now().minusSeconds(3600)));
        byte[] other = new byte[3000];
        other[0] = 1;
        store.put("models/c/model.bin", new ByteArrayInputStream(other));
        artifacts.downloadCached("models/c/", tmp.resolve("job3"));
        assertThat(entry).doesNotExist();
        assertThat(Files.readAllBytes(tmp.resolve("job1/model.bin"))).isEqualTo(weights); // a job keeps its link
        assertThat(tmp.resolve("cache/sha256").resolve(store.stat("models/c/model.bin").orElseThrow().sha256()))
                .isRegularFile();
    }

    @Test
    void aDatasetIsReadFromTheCacheOnceFetched() throws Exception {
        LocalObjectStore store = new LocalObjectStore(tmp.resolve("objects"));
        store.put("datasets/d/data.jsonl", new ByteArrayInputStream("{\"prompt\":\"1+1=\"}\n".getBytes()));
        ObjectCache cache = new ObjectCache(store, tmp.resolve("cache"), 1 << 20);
        StoredObject o = store.stat("datasets/d/data.jsonl").orElseThrow();
        try (var in = cache.open(o)) {
            assertThat(new String(in.readAllBytes())).isEqualTo("{\"prompt\":\"1+1=\"}\n");
        }
        store.delete("datasets/d/data.jsonl"); // from now on only the cache has it
        try (var in = cache.open(o)) {
            assertThat(new String(in.readAllBytes())).startsWith("{\"prompt\"");
        }
    }

    @Test
    void aCacheOfSizeZeroDownloadsEveryTime() throws Exception {
        LocalObjectStore store = new LocalObjectStore(tmp.resolve("objects"));
        store.put("models/a/model.bin", new ByteArrayInputStream(new byte[] {1, 2, 3}));
        ObjectCache cache = new ObjectCache(store, tmp.resolve("cache"), 0);
        StoredObject o = store.stat("models/a/model.bin").orElseThrow();
        assertThat(cache.materialize(o, tmp.resolve("x.bin"))).isFalse();
        assertThat(cache.materialize(o, tmp.resolve("y.bin"))).isFalse();
        try (var files = Files.list(tmp.resolve("cache/sha256"))) {
            assertThat(files).isEmpty();
        }
    }
}
