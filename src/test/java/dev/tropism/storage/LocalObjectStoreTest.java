package dev.tropism.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalObjectStoreTest extends ObjectStoreContract {

    @TempDir
    Path root;
    LocalObjectStore store;

    @BeforeEach
    void setUp() throws IOException {
        store = new LocalObjectStore(root);
    }

    @Override
    ObjectStore store() {
        return store;
    }

    @Override
    void overwriteBytes(String key, byte[] bytes) throws IOException {
        Files.write(root.resolve("blobs").resolve(key), bytes);
    }

    @Test
    void recomputesHashWhenMetadataIsLost() throws IOException {
        store.put("x/y", bytes("abc"));
        Files.delete(root.resolve("meta/x/y"));
        assertThat(store.stat("x/y").orElseThrow().sha256()).isEqualTo(SHA_ABC);
        assertThat(Files.exists(root.resolve("meta/x/y"))).isTrue();
        Files.delete(root.resolve("meta/x/y"));
        assertThat(read(store, "x/y")).isEqualTo("abc");
    }

    @Test
    void deletingTheLastObjectOfAFolderRemovesTheFolders() throws IOException {
        store.put("ds/a/0", bytes("0"));
        assertThat(store.delete("ds/a/0")).isTrue();
        assertThat(Files.exists(root.resolve("blobs/ds"))).isFalse();
        assertThat(Files.exists(root.resolve("meta/ds"))).isFalse();
    }

    @Test
    void failedWriteLeavesNoTempFile() throws IOException {
        assertThatThrownBy(() -> store.put("p/q", failingAfter(10))).isInstanceOf(IOException.class);
        try (var tmp = Files.list(root.resolve("tmp"))) {
            assertThat(tmp).isEmpty();
        }
    }
}
