package dev.tropism.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalObjectStoreTest {

    // sha256("abc"), FIPS 180-2 test vector
    static final String SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    // sha256 of the empty string
    static final String SHA_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @TempDir
    Path root;
    LocalObjectStore store;

    @BeforeEach
    void setUp() throws IOException {
        store = new LocalObjectStore(root);
    }

    static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void putHashesAndStatGetRoundTrip() throws IOException {
        StoredObject o = store.put("datasets/ds_1/data.jsonl", bytes("abc"));
        assertThat(o.sha256()).isEqualTo(SHA_ABC);
        assertThat(o.size()).isEqualTo(3);
        assertThat(store.stat("datasets/ds_1/data.jsonl")).hasValueSatisfying(s -> {
            assertThat(s.sha256()).isEqualTo(SHA_ABC);
            assertThat(s.size()).isEqualTo(3);
        });
        try (InputStream in = store.get("datasets/ds_1/data.jsonl").orElseThrow()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("abc");
        }
        assertThat(store.put("empty", bytes("")).sha256()).isEqualTo(SHA_EMPTY);
    }

    @Test
    void replaceUpdatesHashAndMissingIsEmpty() throws IOException {
        store.put("a/b", bytes("first"));
        store.put("a/b", bytes("abc"));
        assertThat(store.stat("a/b").orElseThrow().sha256()).isEqualTo(SHA_ABC);
        assertThat(store.get("a/missing")).isEmpty();
        assertThat(store.stat("a/missing")).isEmpty();
        assertThat(store.delete("a/missing")).isFalse();
    }

    @Test
    void recomputesHashWhenMetadataIsLost() throws IOException {
        store.put("x/y", bytes("abc"));
        Files.delete(root.resolve("meta/x/y"));
        assertThat(store.stat("x/y").orElseThrow().sha256()).isEqualTo(SHA_ABC);
        assertThat(Files.exists(root.resolve("meta/x/y"))).isTrue();
    }

    @Test
    void listsByPrefixSortedAndDeletesPrefix() throws IOException {
        store.put("ds/b/2", bytes("2"));
        store.put("ds/a/1", bytes("1"));
        store.put("ds/a/0", bytes("0"));
        store.put("dsx/other", bytes("o"));
        assertThat(store.list("ds/").stream().map(StoredObject::key)).containsExactly("ds/a/0", "ds/a/1", "ds/b/2");
        assertThat(store.list("ds/a").stream().map(StoredObject::key)).containsExactly("ds/a/0", "ds/a/1");
        assertThat(store.list("").stream().map(StoredObject::key)).hasSize(4);
        assertThat(store.list("nothing/")).isEmpty();

        assertThat(store.deletePrefix("ds/a/")).isEqualTo(2);
        assertThat(store.list("ds/").stream().map(StoredObject::key)).containsExactly("ds/b/2");
        assertThat(store.delete("ds/b/2")).isTrue();
        assertThat(Files.exists(root.resolve("blobs/ds"))).isFalse();
        assertThat(store.stat("dsx/other")).isPresent();
    }

    @Test
    void rejectsUnsafeKeys() {
        for (String bad : new String[] {"../etc/passwd", "a/../b", "/abs", "a//b", "a/", "", "a/./b", "a\\b"}) {
            assertThatThrownBy(() -> store.put(bad, bytes("x"))).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.get(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> store.list("../")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failedWriteLeavesNothingBehind() throws IOException {
        InputStream failing = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n++ > 10) {
                    throw new IOException("client went away");
                }
                return 'x';
            }
        };
        assertThatThrownBy(() -> store.put("p/q", failing)).isInstanceOf(IOException.class);
        assertThat(store.stat("p/q")).isEmpty();
        try (var tmp = Files.list(root.resolve("tmp"))) {
            assertThat(tmp).isEmpty();
        }
    }
}
