package dev.tropism.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.web.Hashes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ObjectStore} does, run against each store by a subclass: the local folder and an S3 bucket
 * behave the same to their callers.
 */
abstract class ObjectStoreContract {

    // sha256("abc"), FIPS 180-2 test vector
    static final String SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    // sha256 of the empty string
    static final String SHA_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    /** More than two of the S3 store's 5 MiB test parts, and not a multiple of a part. */
    static final int LARGE = 12 * 1024 * 1024 + 12_345;

    /** The store under test, new for each test. */
    abstract ObjectStore store();

    /** Replaces the bytes of a stored object behind the store's back, keeping its recorded sha256 and size. */
    abstract void overwriteBytes(String key, byte[] bytes) throws IOException;

    static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code size} pseudo-random bytes from {@code seed}, generated as they are read: a stream of unknown length whose
     * bytes do not depend on how it is read.
     */
    static InputStream generated(long seed, long size) {
        return new InputStream() {
            long left = size;
            long state = seed;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                int n = (int) Math.min(len, Math.min(left, 7777)); // odd chunks: parts never line up with reads
                for (int i = 0; i < n; i++) {
                    state = state * 6364136223846793005L + 1442695040888963407L; // Knuth's MMIX LCG
                    b[off + i] = (byte) (state >>> 56);
                }
                left -= n;
                return n;
            }
        };
    }

    static String sha256(InputStream in) throws IOException {
        MessageDigest digest = Hashes.sha256();
        try (in) {
            in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), digest));
        }
        return Hashes.hex(digest.digest());
    }

    static String read(ObjectStore store, String key) throws IOException {
        try (InputStream in = store.get(key).orElseThrow()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void putHashesAndStatGetRoundTrip() throws IOException {
        StoredObject o = store().put("datasets/ds_1/data.jsonl", bytes("abc"));
        assertThat(o.key()).isEqualTo("datasets/ds_1/data.jsonl");
        assertThat(o.sha256()).isEqualTo(SHA_ABC);
        assertThat(o.size()).isEqualTo(3);
        assertThat(o.lastModified()).isNotNull();
        assertThat(store().stat("datasets/ds_1/data.jsonl")).hasValueSatisfying(s -> {
            assertThat(s.sha256()).isEqualTo(SHA_ABC);
            assertThat(s.size()).isEqualTo(3);
        });
        assertThat(read(store(), "datasets/ds_1/data.jsonl")).isEqualTo("abc");
        assertThat(store().put("empty", bytes("")).sha256()).isEqualTo(SHA_EMPTY);
        assertThat(read(store(), "empty")).isEmpty();
    }

    @Test
    void replaceUpdatesHashAndMissingIsEmpty() throws IOException {
        store().put("a/b", bytes("first"));
        store().put("a/b", bytes("abc"));
        assertThat(store().stat("a/b").orElseThrow().sha256()).isEqualTo(SHA_ABC);
        assertThat(read(store(), "a/b")).isEqualTo("abc");
        assertThat(store().get("a/missing")).isEmpty();
        assertThat(store().stat("a/missing")).isEmpty();
        assertThat(store().delete("a/missing")).isFalse();
        // "a" is a folder of keys, not an object
        assertThat(store().get("a")).isEmpty();
        assertThat(store().stat("a")).isEmpty();
    }

    @Test
    void listsByPrefixSortedAndDeletesPrefix() throws IOException {
        store().put("ds/b/2", bytes("2"));
        store().put("ds/a/1", bytes("1"));
        store().put("ds/a/0", bytes("0"));
        store().put("dsx/other", bytes("o"));
        assertThat(store().list("ds/").stream().map(StoredObject::key)).containsExactly("ds/a/0", "ds/a/1", "ds/b/2");
        assertThat(store().list("ds/a").stream().map(StoredObject::key)).containsExactly("ds/a/0", "ds/a/1");
        assertThat(store().list("ds/a/0").stream().map(StoredObject::key)).containsExactly("ds/a/0");
        assertThat(store().list("").stream().map(StoredObject::key)).hasSize(4);
        assertThat(store().list("nothing/")).isEmpty();
        assertThat(store().list("ds/").get(0).sha256())
                .isEqualTo(Hashes.sha256Hex("0"));

        assertThat(store().deletePrefix("ds/a/")).isEqualTo(2);
        assertThat(store().deletePrefix("ds/a/")).isZero();
        assertThat(store().list("ds/").stream().map(StoredObject::key)).containsExactly("ds/b/2");
        assertThat(store().delete("ds/b/2")).isTrue();
        assertThat(store().list("ds/")).isEmpty();
        assertThat(store().stat("dsx/other")).isPresent();
    }

    @Test
    void rejectsUnsafeKeys() {
        for (String bad : new String[] {"../etc/passwd", "a/../b", "/abs", "a//b", "a/", "", "a/./b", "a\\b"}) {
            assertThatThrownBy(() -> store().put(bad, bytes("x"))).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store().get(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store().stat(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store().delete(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> store().list("../")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store().deletePrefix("a//")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failedWriteLeavesNothingBehind() throws IOException {
        store().put("p/kept", bytes("abc"));
        assertThatThrownBy(() -> store().put("p/q", failingAfter(10))).isInstanceOf(IOException.class)
                .hasMessageContaining("client went away");
        assertThatThrownBy(() -> store().put("p/kept", failingAfter(LARGE))).isInstanceOf(IOException.class);
        assertThat(store().stat("p/q")).isEmpty();
        assertThat(read(store(), "p/kept")).isEqualTo("abc");
        assertThat(store().list("p/").stream().map(StoredObject::key)).containsExactly("p/kept");
    }

    /** A stream that fails after {@code n} bytes, as an upload whose client goes away. */
    static InputStream failingAfter(long n) {
        return new InputStream() {
            long read;

            @Override
            public int read() throws IOException {
                if (read++ >= n) {
                    throw new IOException("client went away");
                }
                return 'x';
            }
        };
    }

    @Test
    void largeObjectOfUnknownLengthRoundTripsVerified() throws IOException {
        String expected = sha256(generated(42, LARGE));
        StoredObject o = store().put("jobs/j/checkpoints/1/weights.bin", generated(42, LARGE));
        assertThat(o.size()).isEqualTo(LARGE);
        assertThat(o.sha256()).isEqualTo(expected);
        assertThat(store().stat(o.key()).orElseThrow().sha256()).isEqualTo(expected);
        assertThat(sha256(store().get(o.key()).orElseThrow())).isEqualTo(expected);
    }

    @Test
    void corruptedObjectFailsAtTheEndOfItsRead() throws IOException {
        store().put("models/m/config.json", bytes("{\"n_layer\":2}"));
        overwriteBytes("models/m/config.json", "{\"n_layer\":3}".getBytes(StandardCharsets.UTF_8)); // same length
        assertThatThrownBy(() -> read(store(), "models/m/config.json")).isInstanceOf(IOException.class)
                .hasMessageContaining("models/m/config.json").hasMessageContaining("corrupt");

        store().put("models/m/weights.bin", generated(7, LARGE));
        overwriteBytes("models/m/weights.bin", new byte[100]); // truncated
        assertThatThrownBy(() -> sha256(store().get("models/m/weights.bin").orElseThrow()))
                .isInstanceOf(IOException.class).hasMessageContaining("models/m/weights.bin")
                .hasMessageContaining("read 100 bytes");
    }

    @Test
    void readerThatStopsEarlyClosesCleanly() throws IOException {
        store().put("big", generated(3, LARGE));
        try (InputStream in = store().get("big").orElseThrow()) {
            assertThat(in.readNBytes(10)).hasSize(10);
        }
        assertThat(sha256(store().get("big").orElseThrow())).isEqualTo(sha256(generated(3, LARGE)));
    }
}
