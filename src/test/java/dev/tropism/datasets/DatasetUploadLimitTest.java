package dev.tropism.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;

@TropismIntegrationTest
@TestPropertySource(properties = "tropism.datasets.max-upload-size=2KB")
class DatasetUploadLimitTest {

    @Autowired
    TropismTestClient api;

    @Test
    void oversizeUploadIs413Problem() {
        TropismTestClient.Team team = api.newTeam("big");
        String line = "{\"text\":\"" + "x".repeat(90) + "\"}\n";
        ApiResponse small = team.calls().upload("/v1/datasets", "s.jsonl", line.getBytes(StandardCharsets.UTF_8),
                Map.of("purpose", "corpus"));
        assertThat(small.status()).isEqualTo(201);
        ApiResponse big = team.calls().upload("/v1/datasets", "b.jsonl",
                line.repeat(50).getBytes(StandardCharsets.UTF_8), Map.of("purpose", "corpus"));
        assertThat(big.status()).isEqualTo(413);
        assertThat(big.contentType().isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)).isTrue();
        assertThat(big.json().get("code").asString()).isEqualTo("payload_too_large");
        assertThat(team.calls().get("/v1/datasets").json().get("data")).hasSize(1);
    }
}
