package dev.tropism.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.storage.Artifacts;
import dev.tropism.models.ModelStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Chat completions render the messages through the chat template stored with the model. */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.poll-interval=50ms"})
class ServingChatTemplateTest {

    @Autowired TropismTestClient api;
    @Autowired Artifacts artifacts;
    @Autowired ModelStore models;

    @Test
    void chatUsesTheModelsOwnTemplate(@TempDir Path dir) throws Exception {
        Team team = api.newTeam("chat-template");
        String corpus = ServingFixtures.corpus(team);
        String custom = ServingFixtures.pretrain(team, corpus, "custom-template", 21).get("id").asString();
        String plain = ServingFixtures.pretrain(team, corpus, "default-template", 21).get("id").asString();

        // store a custom template in the model's model.json, as an upload or an export could
        String prefix = models.find(custom).orElseThrow().objectPrefix();
        artifacts.download(prefix, dir);
        Path file = dir.resolve("model.json");
        ObjectNode json = (ObjectNode) ServingFixtures.JSON.readTree(Files.readString(file));
        json.putObject("chat_template").put("message", "[{role}] {content};").put("assistant_prefix", "=");
        Files.writeString(file, ServingFixtures.JSON.writeValueAsString(json), StandardCharsets.UTF_8);
        artifacts.upload(dir, prefix);

        List<Map<String, String>> messages = List.of(Map.of("role", "system", "content", "Add."),
                Map.of("role", "user", "content", "1+2"));
        assertSameAsCompletion(team, custom, messages, "[system] Add.;[user] 1+2;=");
        assertSameAsCompletion(team, plain, messages, "system: Add.\nuser: 1+2\nassistant: ");
    }

    /** Greedy chat equals the greedy completion of {@code rendered}, with the same prompt token count. */
    private static void assertSameAsCompletion(Team team, String model, List<Map<String, String>> messages,
            String rendered) {
        ApiResponse chat = team.calls().post("/v1/chat/completions", Map.of("model", model, "messages", messages,
                "max_tokens", 6, "temperature", 0));
        assertThat(chat.status()).as(chat.toString()).isEqualTo(200);
        ApiResponse completion = team.calls().post("/v1/completions", Map.of("model", model, "prompt", rendered,
                "max_tokens", 6, "temperature", 0));
        assertThat(completion.status()).as(completion.toString()).isEqualTo(200);
        JsonNode c = chat.json();
        assertThat(c.get("usage").get("prompt_tokens").asInt()).isEqualTo(rendered.length() + 1);
        assertThat(c.get("usage").get("prompt_tokens").asInt())
                .isEqualTo(completion.json().get("usage").get("prompt_tokens").asInt());
        assertThat(c.get("choices").get(0).get("message").get("content").asString())
                .isEqualTo(completion.json().get("choices").get(0).get("text").asString());
    }
}
