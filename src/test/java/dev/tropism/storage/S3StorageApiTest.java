package dev.tropism.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.S3ProxyServer;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.web.Hashes;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/** The application on {@code tropism.storage.type=s3} against S3Proxy: a dataset goes through the REST API to S3. */
@TropismIntegrationTest
@Import(S3StorageApiTest.Credentials.class)
class S3StorageApiTest {

    static final S3ProxyServer SERVER = S3ProxyServer.start();
    static final String BUCKET = SERVER.newBucket();

    /** Static credentials for the in-process server; production takes the SDK's default chain. */
    @TestConfiguration
    static class Credentials {
        @Bean
        AwsCredentialsProvider testCredentials() {
            return SERVER.credentials();
        }
    }

    @DynamicPropertySource
    static void s3(DynamicPropertyRegistry registry) {
        registry.add("tropism.storage.type", () -> "s3");
        registry.add("tropism.storage.s3.bucket", () -> BUCKET);
        registry.add("tropism.storage.s3.prefix", () -> "tropism");
        registry.add("tropism.storage.s3.endpoint", () -> SERVER.endpoint().toString());
        registry.add("tropism.storage.s3.path-style-access", () -> "true");
    }

    @AfterAll
    static void stop() throws Exception {
        SERVER.close();
    }

    @Autowired
    TropismTestClient api;
    @Autowired
    ObjectStore store;

    @Test
    void datasetIsStoredInTheBucketReadBackVerifiedAndDeleted() {
        assertThat(store).isInstanceOf(S3ObjectStore.class);
        TropismTestClient.Team team = api.newTeam("s3");
        String content = "{\"prompt\":\"1+1=\",\"answer\":\"2\"}\n{\"prompt\":\"2+2=\",\"answer\":\"4\"}\n";
        ApiResponse created = team.calls().upload("/v1/datasets", "train.jsonl",
                content.getBytes(StandardCharsets.UTF_8), Map.of("purpose", "prompts"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("id").asString();

        String key = "tropism/datasets/" + id + "/data.jsonl";
        HeadObjectResponse head = SERVER.client().headObject(b -> b.bucket(BUCKET).key(key));
        assertThat(head.metadata()).containsEntry("sha256", Hashes.sha256Hex(content));

        ApiResponse body = team.calls().get("/v1/datasets/" + id + "/content");
        assertThat(body.status()).isEqualTo(200);
        assertThat(body.text()).isEqualTo(content);

        assertThat(team.calls().delete("/v1/datasets/" + id).status()).isEqualTo(204);
        ListObjectsV2Response left = SERVER.client().listObjectsV2(b -> b.bucket(BUCKET)
                .prefix("tropism/datasets/" + id));
        assertThat(left.contents()).isEmpty();
    }
}
