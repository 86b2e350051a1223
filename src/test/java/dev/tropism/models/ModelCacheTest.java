package dev.tropism.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.storage.Artifacts;
import dev.tropism.storage.LocalObjectStore;
import dev.tropism.storage.ObjectCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one cache of loaded models: single flight, budget eviction, leases that outlive eviction, failed loads. */
class ModelCacheTest {

    /** A loaded "model": the text of its weights file, and whether it was closed. */
    static final class Loaded implements AutoCloseable {
        final String weights;
        volatile boolean closed;

        Loaded(String weights) {
            this.weights = weights;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @TempDir
    Path tmp;
    Artifacts artifacts;

    @BeforeEach
    void store() throws IOException {
        LocalObjectStore store = new LocalObjectStore(tmp.resolve("objects"));
        artifacts = new Artifacts(store, new ObjectCache(store, tmp.resolve("cache"), 0));
        for (String id : List.of("a", "b", "c")) {
            Path dir = Files.createDirectories(tmp.resolve("src-" + id));
            Files.writeString(dir.resolve("weights.txt"), "weights of " + id);
            artifacts.upload(dir, ModelRecord.prefixOf(id));
        }
    }

    private static ModelRecord record(String id) {
        return ModelRecord.pretraining(id, "team", id, PolicyFamily.LANGUAGE_MODEL, "tiny-gpt", "job", 1L);
    }

    private static Loaded read(Path dir) throws IOException {
        return new Loaded(Files.readString(dir.resolve("weights.txt")));
    }

    @Test
    void loadsFromObjectStorageAndEvictsTheLeastRecentlyUsedPastTheBudget() {
        try (ModelCache<Loaded> cache = new ModelCache<>("test", artifacts, 10, m -> 6, (dir, parent) -> read(dir))) {
            Loaded a = cache.use(record("a"), m -> m);
            assertThat(a.weights).isEqualTo("weights of a");
            Loaded b = cache.use(record("b"), m -> m);
            assertThat(cache.cached()).as("6 + 6 > 10: a leaves for b").containsExactly("b");
            assertThat(a.closed).as("an evicted model with no lease is closed at once").isTrue();
            assertThat(b.closed).isFalse();
            assertThat(cache.used()).isEqualTo(6);
            cache.use(record("a"), m -> m);
            assertThat(cache.loads()).as("a reload after eviction counts").isEqualTo(3);
        }
    }

    @Test
    void oneModelAlwaysFitsAndCapacityCountsModels() {
        try (ModelCache<Loaded> cache = new ModelCache<>("test", artifacts, 2, (dir, parent) -> read(dir))) {
            cache.use(record("a"), m -> m);
            cache.use(record("b"), m -> m);
            cache.use(record("a"), m -> m); // a is now the most recently used
            cache.use(record("c"), m -> m);
            assertThat(cache.cached()).containsExactly("a", "c");
        }
        try (ModelCache<Loaded> cache = new ModelCache<>("test", artifacts, 1, m -> 100, (dir, parent) -> read(dir))) {
            String weights = cache.use(record("a"), m -> m.weights);
            assertThat(weights).isEqualTo("weights of a");
            assertThat(cache.cached()).containsExactly("a");
        }
        assertThatThrownBy(() -> new ModelCache<>("test", artifacts, 0, (dir, parent) -> read(dir)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }

    @Test
    void aLeaseKeepsAnEvictedModelOpenUntilItIsReleased() {
        try (ModelCache<Loaded> cache = new ModelCache<>("test", artifacts, 1, (dir, parent) -> read(dir))) {
            ModelCache.Lease<Loaded> lease = cache.acquire(record("a"));
            Loaded a = lease.model();
            cache.use(record("b"), m -> m);
            assertThat(cache.cached()).containsExactly("b");
            assertThat(a.closed).as("evicted, but a request still holds it").isFalse();
            lease.close();
            assertThat(a.closed).as("closed by its last lease").isTrue();
            lease.close(); // idempotent
        }
    }

    @Test
    void concurrentFirstCallsShareOneLoad() throws Exception {
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        AtomicInteger loads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (ModelCache<Loaded> cache = new ModelCache<>("test", artifacts, 2, (dir, parent) -> {
            loads.incrementAndGet();
            loading.countDown();
            await(proceed);
            return read(dir);
        })) {
            List<Future<String>> calls = List.of(pool.submit(() -> cache.use(record("a"), m -> m.weights)),
                    pool.submit(() -> cache.use(record("a"), m -> m.weights)),
                    pool.submit(() -> cache.use(record("a"), m -> m.weights)));
            assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
            proceed.countDown();
            for (Future<String> call : calls) {
                assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("weights of a");
            }
            assertThat(loads.get()).isEqualTo(1);
            assertThat(cache.loads()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailedLoadIsReportedAndForgottenSoTheNextCallRetries() {
        AtomicInteger attempts = new AtomicInteger();
        try (ModelCache<Loaded> cache = new ModelCache<>("test", artifacts, 2, (dir, parent) -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IOException("weights.txt is truncated");
            }
            return read(dir);
        })) {
            assertThatThrownBy(() -> cache.use(record("a"), m -> m)).isInstanceOf(UncheckedIOException.class)
                    .hasMessage("cannot load model a: weights.txt is truncated");
            assertThat(cache.cached()).isEmpty();
            String weights = cache.use(record("a"), m -> m.weights);
            assertThat(weights).isEqualTo("weights of a");
            assertThat(cache.peek("a")).isPresent();
            assertThat(cache.peek("b")).isEmpty();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
