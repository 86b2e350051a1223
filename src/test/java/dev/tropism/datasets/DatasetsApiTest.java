package dev.tropism.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.teams.Caller;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;

@TropismIntegrationTest
@Import(DatasetsApiTest.Usage.class)
class DatasetsApiTest {

    /** A DatasetUsage that claims whatever dataset id a test puts in {@link #IN_USE}. */
    @TestConfiguration
    static class Usage {
        static final AtomicReference<String> IN_USE = new AtomicReference<>();

        @Bean
        DatasetUsage testUsage() {
            return id -> id.equals(IN_USE.get());
        }
    }

    @Autowired
    TropismTestClient api;
    @Autowired
    DatasetCatalog catalog;
    TropismTestClient.Team team;

    @BeforeEach
    void team() {
        team = api.newTeam("ds");
    }

    ApiResponse upload(String content, String purpose) {
        return team.calls().upload("/v1/datasets", "train.jsonl", content.getBytes(StandardCharsets.UTF_8),
                Map.of("purpose", purpose));
    }

    static List<String> pointers(ApiResponse r) {
        List<String> out = new ArrayList<>();
        r.json().get("errors").forEach(e -> out.add(e.get("pointer").asString()));
        return out;
    }

    @Test
    void uploadGetContentListDelete() {
        String content = "{\"prompt\":\"1+1=\",\"answer\":\"2\"}\n\n{\"prompt\":\"2+2=\",\"answer\":\"4\",\"x\":1}\n";
        ApiResponse r = upload(content, "prompts");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode ds = r.json();
        String id = ds.get("id").asString();
        assertThat(id).startsWith("ds_");
        assertThat(ds.get("name").asString()).isEqualTo("train.jsonl");
        assertThat(ds.get("purpose").asString()).isEqualTo("prompts");
        assertThat(ds.get("lines").asLong()).isEqualTo(2);
        assertThat(ds.get("fields").toString()).isEqualTo("[\"prompt\",\"answer\"]");
        assertThat(ds.get("size_bytes").asLong()).isEqualTo(content.getBytes(StandardCharsets.UTF_8).length);
        assertThat(ds.get("sha256").asString()).isEqualTo(dev.tropism.web.Hashes.sha256Hex(content));

        assertThat(team.calls().get("/v1/datasets/" + id).json().get("lines").asLong()).isEqualTo(2);
        ApiResponse body = team.calls().get("/v1/datasets/" + id + "/content");
        assertThat(body.status()).isEqualTo(200);
        assertThat(body.contentType().toString()).startsWith("application/x-ndjson");
        assertThat(body.text()).isEqualTo(content);

        Caller caller = new Caller(team.id(), team.keyId(), false);
        assertThat(catalog.readItems(caller, id)).containsExactly(
                Map.of("prompt", "1+1=", "answer", "2"), Map.of("prompt", "2+2=", "answer", "4", "x", 1));
        DatasetInfo info = catalog.get(caller, id);
        assertThat(info.purpose()).isEqualTo(DatasetPurpose.PROMPTS);
        assertThat(info.fields()).containsExactly("prompt", "answer");

        ApiResponse named = team.calls().upload("/v1/datasets", "c.jsonl", "{\"text\":\"hi\"}".getBytes(StandardCharsets.UTF_8),
                Map.of("purpose", "corpus", "name", "my corpus"));
        assertThat(named.json().get("name").asString()).isEqualTo("my corpus");
        ApiResponse list = team.calls().get("/v1/datasets?limit=1");
        assertThat(list.json().get("data").get(0).get("id").asString()).isEqualTo(id);
        assertThat(list.json().get("has_more").asBoolean()).isTrue();

        Usage.IN_USE.set(id);
        try {
            ApiResponse conflict = team.calls().delete("/v1/datasets/" + id);
            assertThat(conflict.status()).isEqualTo(409);
            assertThat(conflict.json().get("code").asString()).isEqualTo("dataset_in_use");
        } finally {
            Usage.IN_USE.set(null);
        }
        assertThat(team.calls().delete("/v1/datasets/" + id).status()).isEqualTo(204);
        assertThat(team.calls().get("/v1/datasets/" + id).status()).isEqualTo(404);
        assertThat(team.calls().get("/v1/datasets/" + id + "/content").status()).isEqualTo(404);
    }

    @Test
    void invalidLinesAreReportedByNumberAndNothingIsStored() {
        String content = "{\"prompt\":\"ok\"}\n"
                + "not json\n"
                + "[1,2]\n"
                + "{\"prompt\":\"\"}\n"
                + "{\"prompt\":5}\n"
                + "{\"prompt\":\"fine\"}\n";
        ApiResponse r = upload(content, "prompts");
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("code").asString()).isEqualTo("invalid_dataset");
        assertThat(pointers(r)).containsExactly("/file/line/2", "/file/line/3", "/file/line/4", "/file/line/5");
        assertThat(team.calls().get("/v1/datasets").json().get("data")).isEmpty();

        ApiResponse prefs = upload("{\"prompt\":\"p\",\"chosen\":\"a\"}\n", "preferences");
        assertThat(pointers(prefs)).containsExactly("/file/line/1");
        assertThat(prefs.json().get("errors").get(0).get("detail").asString()).contains("rejected");
        assertThat(pointers(upload("{\"prompt\":\"p\"}", "corpus"))).containsExactly("/file/line/1");

        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            many.append("nope\n");
        }
        assertThat(pointers(upload(many.toString(), "corpus"))).hasSize(20).startsWith("/file/line/1");

        ApiResponse empty = upload("\n  \n", "corpus");
        assertThat(empty.status()).isEqualTo(422);
        assertThat(pointers(empty)).containsExactly("/file");
    }

    @Test
    void badFormFieldsAnswerClientErrors() {
        ApiResponse badPurpose = upload("{\"text\":\"x\"}", "essays");
        assertThat(badPurpose.status()).isEqualTo(422);
        assertThat(pointers(badPurpose)).containsExactly("/purpose");
        ApiResponse noPurpose = team.calls().upload("/v1/datasets", "a.jsonl", "{}".getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(noPurpose.status()).isEqualTo(400);
        assertThat(noPurpose.json().get("code").asString()).isEqualTo("missing_parameter");
        ApiResponse noFile = team.calls().upload("/v1/datasets", null, null, Map.of("purpose", "corpus"));
        assertThat(noFile.status()).isEqualTo(400);
        assertThat(noFile.json().get("code").asString()).isEqualTo("missing_part");
        ApiResponse json = team.calls().post("/v1/datasets", Map.of("purpose", "corpus"));
        assertThat(json.status()).isEqualTo(415);
        assertThat(json.json().get("code").asString()).isEqualTo("unsupported_media_type");
    }

    @Test
    void otherTeamsDatasetsAreNotFound() {
        String id = upload("{\"text\":\"secret\"}", "corpus").json().get("id").asString();
        TropismTestClient.Team other = api.newTeam("other");
        for (ApiResponse r : List.of(other.calls().get("/v1/datasets/" + id),
                other.calls().get("/v1/datasets/" + id + "/content"),
                other.calls().delete("/v1/datasets/" + id),
                other.calls().get("/v1/datasets/ds_missing"))) {
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.json().get("code").asString()).isEqualTo("not_found");
        }
        assertThat(other.calls().get("/v1/datasets").json().get("data")).isEmpty();
        assertThat(team.calls().get("/v1/datasets/" + id).status()).isEqualTo(200);
    }

    @Test
    void generatesArithmeticDatasets() {
        ApiResponse r = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "name", "add",
                "digits", 1, "corpus_size", 50, "train_prompts", 30, "eval_prompts", 20, "seed", 3));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode data = r.json().get("data");
        assertThat(data).hasSize(3);
        assertThat(data.get(0).get("name").asString()).isEqualTo("add-corpus");
        assertThat(data.get(0).get("purpose").asString()).isEqualTo("corpus");
        assertThat(data.get(0).get("lines").asLong()).isEqualTo(50);
        assertThat(data.get(1).get("lines").asLong()).isEqualTo(30);
        assertThat(data.get(2).get("lines").asLong()).isEqualTo(20);
        assertThat(data.get(2).get("fields").toString()).isEqualTo("[\"prompt\",\"answer\"]");
        Caller caller = new Caller(team.id(), team.keyId(), false);
        Map<String, Object> item = catalog.readItems(caller, data.get(1).get("id").asString()).get(0);
        String prompt = (String) item.get("prompt");
        int sum = Integer.parseInt(prompt.substring(0, 1)) + Integer.parseInt(prompt.substring(2, 3));
        assertThat(item.get("answer")).isEqualTo(new StringBuilder(Integer.toString(sum)).reverse().toString());
        assertThat((String) catalog.readItems(caller, data.get(0).get("id").asString()).get(0).get("text"))
                .matches("\\d\\+\\d=\\d+");

        ApiResponse unknown = team.calls().post("/v1/datasets/generate", Map.of("generator", "poetry"));
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(pointers(unknown)).containsExactly("/generator");
        ApiResponse badDigits = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 9));
        assertThat(badDigits.status()).isEqualTo(422);
        assertThat(pointers(badDigits)).containsExactly("/digits");
        ApiResponse tooMany = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1));
        assertThat(pointers(tooMany)).containsExactly("/eval_prompts");
        ApiResponse unknownField = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digitz", 1));
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(pointers(unknownField)).containsExactly("/digitz");
    }
}
