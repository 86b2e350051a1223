package dev.tropism.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.support.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/** The object store contract and the S3 store's own behaviour, against a real S3 API server (S3Proxy). */
class S3ObjectStoreTest extends ObjectStoreContract {

    static final long PART = S3ObjectStore.MIN_PART_SIZE; // 5 MiB: LARGE takes three parts
    static final String PREFIX = "tropism/";

    static S3ProxyServer server;
    static S3Client raw;
    String bucket;
    S3ObjectStore store;

    @BeforeAll
    static void startServer() {
        server = S3ProxyServer.start();
        raw = server.client();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void newBucket() {
        bucket = server.newBucket();
        store = open(bucket, PREFIX, S3ObjectStore.MAX_PART_SIZE);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    static S3ObjectStore open(String bucket, String prefix, long largestSingleCopy) {
        return new S3ObjectStore(S3ObjectStore.client(properties(bucket, prefix), server.credentials()), bucket,
                prefix, PART, largestSingleCopy);
    }

    static StorageProperties.S3 properties(String bucket, String prefix) {
        return new StorageProperties.S3(bucket, prefix, server.endpoint(), true, null, DataSize.ofBytes(PART));
    }

    @Override
    ObjectStore store() {
        return store;
    }

    /** Puts other bytes under the key through the raw client, with the object's recorded metadata. */
    @Override
    void overwriteBytes(String key, byte[] bytes) {
        HeadObjectResponse head = raw.headObject(b -> b.bucket(bucket).key(PREFIX + key));
        raw.putObject(b -> b.bucket(bucket).key(PREFIX + key).metadata(head.metadata()), RequestBody.fromBytes(bytes));
    }

    HeadObjectResponse rawHead(String key) {
        return raw.headObject(b -> b.bucket(bucket).key(PREFIX + key));
    }

    @Test
    void keepsSha256AndSizeInObjectMetadataUnderThePrefix() throws IOException {
        StoredObject o = store.put("datasets/ds_1/data.jsonl", bytes("abc"));
        HeadObjectResponse head = rawHead("datasets/ds_1/data.jsonl");
        assertThat(head.metadata()).containsEntry("sha256", SHA_ABC).containsEntry("size", "3");
        assertThat(o.lastModified()).isEqualTo(head.lastModified());
    }

    @Test
    void largeObjectIsUploadedInPartsAndItsSha256Recorded() throws IOException {
        StoredObject o = store.put("jobs/j/checkpoints/1/weights.bin", generated(1, LARGE));
        // the server takes no single PutObject this large (it answers EntityTooLarge and drops the connection while
        // the client still sends): the store uploaded parts
        assertThat((long) LARGE).isGreaterThan(S3ProxyServer.MAX_SINGLE_PUT);
        assertThatThrownBy(() -> raw.putObject(b -> b.bucket(bucket).key("whole"), RequestBody.fromBytes(
                new byte[LARGE]))).isInstanceOf(SdkException.class);
        HeadObjectResponse head = rawHead(o.key());
        assertThat(head.contentLength()).isEqualTo(LARGE);
        assertThat(head.metadata()).containsEntry("sha256", sha256(generated(1, LARGE)))
                .containsEntry("size", Integer.toString(LARGE));
    }

    @Test
    void metadataOfAnObjectLargerThanOneCopyIsWrittenByAMultipartCopy() throws IOException {
        try (S3ObjectStore smallCopies = open(bucket, PREFIX, PART + 1)) {
            StoredObject o = smallCopies.put("models/m/model.safetensors", generated(2, LARGE));
            assertThat(rawHead(o.key()).metadata()).containsEntry("sha256", sha256(generated(2, LARGE)));
            assertThat(sha256(smallCopies.get(o.key()).orElseThrow())).isEqualTo(o.sha256());
        }
    }

    @Test
    void failedMultipartUploadIsAborted() {
        assertThatThrownBy(() -> store.put("p/q", failingAfter(LARGE))).isInstanceOf(IOException.class);
        assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
    }

    @Test
    void objectWithoutSha256IsHashedOnceAndRecorded() throws IOException {
        // as another tool (aws s3 sync of a local store's blobs/) leaves it
        raw.putObject(b -> b.bucket(bucket).key(PREFIX + "imported/a.txt"), RequestBody.fromString("abc"));
        assertThat(rawHead("imported/a.txt").metadata()).doesNotContainKey("sha256");
        assertThat(store.stat("imported/a.txt").orElseThrow().sha256()).isEqualTo(SHA_ABC);
        assertThat(rawHead("imported/a.txt").metadata()).containsEntry("sha256", SHA_ABC);

        raw.putObject(b -> b.bucket(bucket).key(PREFIX + "imported/b.txt"), RequestBody.fromString("abc"));
        assertThat(read(store, "imported/b.txt")).isEqualTo("abc");
        assertThat(rawHead("imported/b.txt").metadata()).containsEntry("sha256", SHA_ABC);
    }

    @Test
    void storesWithOtherPrefixesShareABucketApart() throws IOException {
        try (S3ObjectStore other = open(bucket, "other", S3ObjectStore.MAX_PART_SIZE)) {
            other.put("ds/a", bytes("theirs"));
            store.put("ds/a", bytes("abc"));
            assertThat(read(other, "ds/a")).isEqualTo("theirs");
            assertThat(store.list("").stream().map(StoredObject::key)).containsExactly("ds/a");
            assertThat(store.deletePrefix("")).isEqualTo(1);
            assertThat(read(other, "ds/a")).isEqualTo("theirs");
        }
        // folder markers other tools leave are not objects
        raw.putObject(b -> b.bucket(bucket).key(PREFIX + "dir/"), RequestBody.empty());
        assertThat(store.list("")).isEmpty();
    }

    @Test
    void missingBucketFailsWithTheBucketAndEndpointNamed() {
        assertThatThrownBy(() -> S3ObjectStore.open(properties("no-such-bucket", ""), server.credentials()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("S3 bucket 'no-such-bucket' at " + server.endpoint()
                        + " does not exist; create it, or set tropism.storage.s3.bucket to one that does");
    }

    @Test
    void unreachableEndpointAndBadSettingsFailClearly() {
        StorageProperties.S3 down = new StorageProperties.S3(bucket, "", URI.create("http://127.0.0.1:1"), true, null,
                DataSize.ofMegabytes(8));
        assertThatThrownBy(() -> S3ObjectStore.open(down, server.credentials()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("S3 bucket '" + bucket + "' at http://127.0.0.1:1 cannot be reached");
        StorageProperties.S3 noBucket = new StorageProperties.S3(null, "", server.endpoint(), true, null,
                DataSize.ofMegabytes(8));
        assertThatThrownBy(() -> S3ObjectStore.open(noBucket, server.credentials()))
                .hasMessage("tropism.storage.s3.bucket is required with tropism.storage.type=s3");
        StorageProperties.S3 tinyParts = new StorageProperties.S3(bucket, "", server.endpoint(), true, null,
                DataSize.ofMegabytes(1));
        assertThatThrownBy(() -> S3ObjectStore.open(tinyParts, server.credentials()))
                .hasMessageStartingWith("tropism.storage.s3.part-size must be between 5MB");
    }

    @Test
    void wrongCredentialsAreRefusedAtStartup() {
        var wrong = StaticCredentialsProvider.create(AwsBasicCredentials.create("tropism-test", "wrong"));
        assertThatThrownBy(() -> S3ObjectStore.open(properties(bucket, ""), wrong))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'" + bucket + "'")
                .hasMessageContaining("403");
    }
}
