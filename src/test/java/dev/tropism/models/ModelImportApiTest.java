package dev.tropism.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.hf.HfTestModels;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/models} imports of HuggingFace model directories on PostgreSQL: uploads (tar.gz and zip) and
 * admin path imports that end {@code ready} with their model card, and every bad input answered 422 (or 403) with
 * the problem named and no model left behind.
 */
@TropismIntegrationTest
@TestPropertySource(properties = "tropism.models.import-roots=target/test-import-root")
class ModelImportApiTest {

    @Autowired
    TropismTestClient api;

    @Autowired
    ModelImportService importService;

    @Autowired
    ModelImports importRows;

    @Autowired
    ModelStore modelRows;

    @Autowired
    dev.tropism.storage.ObjectStore objects;

    @TempDir
    Path tmp;

    /** The files of {@code dir} (top level) as a tar.gz, each under {@code folder/} when it is not empty. */
    static byte[] tarGz(Path dir, String folder) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes); TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            for (Path f : files(dir)) {
                TarArchiveEntry e = new TarArchiveEntry(f.toFile(), folder + f.getFileName());
                tar.putArchiveEntry(e);
                Files.copy(f, tar);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** {@code entries}: name to content, as a zip. */
    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    static Map<String, byte[]> contents(Path dir) throws IOException {
        Map<String, byte[]> out = new java.util.LinkedHashMap<>();
        for (Path f : files(dir)) {
            out.put(f.getFileName().toString(), Files.readAllBytes(f));
        }
        return out;
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private Path model(String name) throws Exception {
        return HfTestModels.model(name, Files.createDirectories(tmp.resolve(name + "-" + System.nanoTime())));
    }

    private static JsonNode awaitImported(TropismTestClient.Team team, String id) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            JsonNode m = team.calls().get("/v1/models/" + id).json();
            if (!m.get("status").asString().equals("importing")) {
                return m;
            }
            assertThat(System.nanoTime()).as("import of %s still running", id).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static void assertRefused(ApiResponse r, String pointer, String mentions) {
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        JsonNode errors = r.json().get("errors");
        assertThat(errors).as(r.toString()).isNotNull();
        assertThat(errors.get(0).get("pointer").asString()).isEqualTo(pointer);
        assertThat(errors.get(0).get("detail").asString()).as(r.toString()).containsIgnoringCase(mentions);
    }

    @Test
    void aTarGzUploadBecomesAReadyModelWithItsCard() throws Exception {
        TropismTestClient.Team team = api.newTeam("import-tgz");
        ApiResponse r = team.calls().upload("/v1/models", "tiny-gpt2.tar.gz", tarGz(model("gpt2"), "tiny-gpt2/"),
                Map.of("name", "tiny-gpt2"));
        assertThat(r.status()).as(r.toString()).isEqualTo(202);
        JsonNode m = awaitImported(team, r.json().get("id").asString());
        assertThat(m.get("status").asString()).as(m.toString()).isEqualTo("ready");
        assertThat(m.get("family").asString()).isEqualTo("language-model");
        assertThat(m.get("recipe").asString()).isEqualTo("import");
        JsonNode card = m.get("import").get("card");
        assertThat(card.get("architecture").asString()).isEqualTo("gpt2");
        assertThat(card.get("vocab_size").asInt()).isEqualTo(32);
        assertThat(card.get("tokenizer").asString()).isEqualTo("bpe");
        assertThat(card.get("parameters").asLong()).isEqualTo(m.get("parameters").asLong()).isPositive();
        assertThat(m.get("import").get("source").asString()).isEqualTo("upload");
        assertThat(m.get("import").get("error").isNull()).isTrue();
        JsonNode progress = m.get("import").get("progress");
        assertThat(progress.get("bytes_total").asLong()).isPositive().isEqualTo(progress.get("bytes_copied").asLong());
        assertThat(progress.get("fraction").asDouble()).isEqualTo(1.0);
        // Its size is that of its files, and counts against the team's stored bytes.
        assertThat(m.get("size_bytes").asLong()).isEqualTo(progress.get("bytes_total").asLong());
        assertThat(team.calls().get("/v1/teams/" + team.id() + "/quotas").json().get("used").get("stored_bytes")
                .asLong()).isEqualTo(progress.get("bytes_total").asLong());

        // Its events: checked, one per copied file (config, weights, tokenizer files), then ready.
        JsonNode events = team.calls().get("/v1/models/" + m.get("id").asString() + "/import/events").json().get("data");
        List<String> types = new ArrayList<>();
        events.forEach(e -> types.add(e.get("type").asString()));
        assertThat(types.get(0)).isEqualTo("checked");
        assertThat(types.subList(1, types.size() - 1)).hasSizeGreaterThanOrEqualTo(3).containsOnly("copied");
        assertThat(types.get(types.size() - 1)).isEqualTo("ready");
        assertThat(events.get(types.size() - 2).get("data").get("bytes_copied").asLong())
                .isEqualTo(progress.get("bytes_total").asLong());
        assertThat(events.get(1).get("data").get("file").asString()).isNotBlank();
        // A model that was not imported has no import events.
        assertThat(team.calls().get("/v1/models/model_nosuchmodel/import/events").status()).isEqualTo(404);
    }

    /** The entries of a tar: name to bytes. */
    static Map<String, byte[]> untar(byte[] tarBytes) throws IOException {
        Map<String, byte[]> out = new java.util.TreeMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new java.io.ByteArrayInputStream(tarBytes))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                out.put(e.getName(), tar.readAllBytes());
            }
        }
        return out;
    }

    @Test
    void anImportedModelExportsAsTheSameHfDirectoryAndReimportsToTheSameCard() throws Exception {
        TropismTestClient.Team team = api.newTeam("import-export");
        Path dir = model("qwen2");
        ApiResponse r = team.calls().upload("/v1/models", "q.tar.gz", tarGz(dir, ""), Map.of("name", "tiny-qwen"));
        JsonNode m = awaitImported(team, r.json().get("id").asString());

        ApiResponse export = team.calls().get("/v1/models/" + m.get("id").asString() + "/export?format=hf");
        assertThat(export.status()).as(export.toString()).isEqualTo(200);
        assertThat(export.contentType().toString()).isEqualTo("application/x-tar");
        assertThat(export.headers().getContentDisposition().getFilename()).isEqualTo("tiny-qwen-hf.tar");
        Map<String, byte[]> exported = untar(export.body());
        Map<String, byte[]> original = new java.util.TreeMap<>(contents(dir));
        assertThat(exported.keySet()).isEqualTo(original.keySet());
        original.forEach((name, bytes) -> assertThat(exported.get(name)).as(name).isEqualTo(bytes));

        ApiResponse again = team.calls().upload("/v1/models", "again.tar", export.body(), Map.of("name", "again"));
        JsonNode reimported = awaitImported(team, again.json().get("id").asString());
        assertThat(reimported.get("status").asString()).isEqualTo("ready");
        assertThat(reimported.get("import").get("card")).isEqualTo(m.get("import").get("card"));

        ApiResponse badFormat = team.calls().get("/v1/models/" + m.get("id").asString() + "/export?format=onnx");
        assertRefused(badFormat, "/format", "hf");
    }

    @Test
    void aGrpoJobOnAnImportedModelMustFitItsContextLength() throws Exception {
        TropismTestClient.Team team = api.newTeam("import-context");
        ApiResponse r = team.calls().upload("/v1/models", "g.tar.gz", tarGz(model("gpt2"), ""), Map.of("name", "g"));
        String modelId = awaitImported(team, r.json().get("id").asString()).get("id").asString();
        ApiResponse data = team.calls().upload("/v1/datasets", "p.jsonl",
                "{\"prompt\":\"ab\",\"answer\":\"c\"}\n".getBytes(StandardCharsets.UTF_8), Map.of("purpose", "prompts"));
        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq")));
        ApiResponse job = team.calls().post("/v1/jobs", Map.of("model", modelId, "dataset", data.json().get("id").asString(),
                "reward_spec", spec.json().get("id").asString(),
                "method", Map.of("type", "grpo", "grpo", Map.of("max_completion_length", 20))));
        // The fixture's config.json has n_positions 16.
        assertRefused(job, "/method/grpo/max_completion_length", "block_size of 16");
    }

    @Test
    void anImportAStoppedServiceLeftCopyingFailsAtTheNextStartWithItsPartialFilesRemoved() throws Exception {
        TropismTestClient.Team team = api.newTeam("import-restart");
        String id = dev.tropism.web.Ids.newId("model_");
        modelRows.insert(new ModelRecord(0, id, team.id(), "interrupted", dev.tropism.engine.PolicyFamily.LANGUAGE_MODEL,
                ModelImportService.RECIPE, ModelStatus.IMPORTING, null, null, null, ModelRecord.prefixOf(id), 1L,
                java.time.Instant.now()));
        importRows.insert(id, "upload", "{}", 2);
        objects.put(ModelRecord.prefixOf(id) + "config.json", new java.io.ByteArrayInputStream(new byte[] {'{', '}'}));

        importService.stop();
        importService.start(); // as a restarted service does

        JsonNode m = team.calls().get("/v1/models/" + id).json();
        assertThat(m.get("status").asString()).isEqualTo("failed");
        assertThat(m.get("import").get("error").asString()).contains("stopped while the model was being copied");
        assertThat(objects.list(ModelRecord.prefixOf(id))).as("partial files removed").isEmpty();
        JsonNode events = team.calls().get("/v1/models/" + id + "/import/events").json().get("data");
        assertThat(events.get(events.size() - 1).get("type").asString()).isEqualTo("failed");
        // and imports work again after the restart
        ApiResponse r = team.calls().upload("/v1/models", "g.tar.gz", tarGz(model("gpt2"), ""), Map.of("name", "g"));
        assertThat(awaitImported(team, r.json().get("id").asString()).get("status").asString()).isEqualTo("ready");
    }

    @Test
    void aZipUploadOfALlamaDirectoryImports() throws Exception {
        TropismTestClient.Team team = api.newTeam("import-zip");
        ApiResponse r = team.calls().upload("/v1/models", "llama.zip", zip(contents(model("llama"))),
                Map.of("name", "tiny-llama"));
        assertThat(r.status()).as(r.toString()).isEqualTo(202);
        JsonNode m = awaitImported(team, r.json().get("id").asString());
        assertThat(m.get("status").asString()).isEqualTo("ready");
        assertThat(m.get("import").get("card").get("architecture").asString()).isEqualTo("llama");
        assertThat(m.get("import").get("card").get("dtype").asString()).isEqualTo("BF16");
    }

    @Test
    void badArchivesAndDirectoriesAre422NamingTheProblemAndLeaveNoModel() throws Exception {
        TropismTestClient.Team team = api.newTeam("import-bad");
        Map<String, byte[]> good = contents(model("qwen2"));

        byte[] tgz = tarGz(model("qwen2"), "");
        assertRefused(team.calls().upload("/v1/models", "m.tar.gz", Arrays.copyOf(tgz, tgz.length / 2),
                Map.of("name", "x")), "/file", "truncated");

        Map<String, byte[]> slip = new java.util.LinkedHashMap<>(good);
        slip.put("../escape.json", "{}".getBytes(StandardCharsets.UTF_8));
        assertRefused(team.calls().upload("/v1/models", "m.zip", zip(slip), Map.of("name", "x")), "/file", "zip slip");

        Map<String, byte[]> pickle = new java.util.LinkedHashMap<>(good);
        pickle.put("pytorch_model.bin", pickle.remove("model.safetensors"));
        assertRefused(team.calls().upload("/v1/models", "m.zip", zip(pickle), Map.of("name", "x")), "/file", ".bin");

        Map<String, byte[]> noTokenizer = new java.util.LinkedHashMap<>(good);
        noTokenizer.remove("tokenizer.json");
        assertRefused(team.calls().upload("/v1/models", "m.zip", zip(noTokenizer), Map.of("name", "x")), "/file",
                "tokenizer.json");

        Map<String, byte[]> unknownType = new java.util.LinkedHashMap<>(good);
        unknownType.put("config.json", new String(good.get("config.json"), StandardCharsets.UTF_8)
                .replace("\"qwen2\"", "\"mamba\"").getBytes(StandardCharsets.UTF_8));
        assertRefused(team.calls().upload("/v1/models", "m.zip", zip(unknownType), Map.of("name", "x")), "/file",
                "mamba");

        Map<String, byte[]> lyingHeader = new java.util.LinkedHashMap<>(good);
        byte[] weights = good.get("model.safetensors");
        lyingHeader.put("model.safetensors", Arrays.copyOf(weights, weights.length - 64));
        assertRefused(team.calls().upload("/v1/models", "m.zip", zip(lyingHeader), Map.of("name", "x")), "/file",
                "model.safetensors");

        assertRefused(team.calls().upload("/v1/models", "m.rar", zip(good), Map.of("name", "x")), "/file", ".tar");
        assertRefused(team.calls().upload("/v1/models", "m.zip", zip(good), Map.of()), "/name", "required");
        assertRefused(team.calls().upload("/v1/models", "m.zip", zip(Map.of("README.md", new byte[] {1})),
                Map.of("name", "x")), "/file", "config.json");

        assertThat(team.calls().get("/v1/models").json().get("data")).as("nothing half-imported").isEmpty();
    }

    @Test
    void adminsImportFromAPathUnderAnImportRootOnly() throws Exception {
        TropismTestClient.Team team = api.newTeam("import-path");
        Path root = Files.createDirectories(Path.of("target/test-import-root"));
        Path dir = HfTestModels.model("gpt2", Files.createDirectories(root.resolve("gpt2-" + System.nanoTime())));
        Map<String, Object> body = Map.of("source", "path", "path", dir.toAbsolutePath().toString(), "name", "on-node");

        ApiResponse asTeam = team.calls().post("/v1/models", body);
        assertThat(asTeam.status()).as(asTeam.toString()).isEqualTo(403);

        ApiResponse r = api.adminFor(team.id()).post("/v1/models", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(202);
        JsonNode m = awaitImported(team, r.json().get("id").asString());
        assertThat(m.get("status").asString()).isEqualTo("ready");
        assertThat(m.get("import").get("source").asString()).isEqualTo("path");
        assertThat(Files.exists(dir.resolve("config.json"))).as("the node's directory is left as it was").isTrue();

        Path outside = HfTestModels.model("gpt2", Files.createDirectories(tmp.resolve("outside")));
        assertRefused(api.adminFor(team.id()).post("/v1/models", Map.of("source", "path", "path",
                outside.toAbsolutePath().toString(), "name", "x")), "/path", "import root");
        assertRefused(api.adminFor(team.id()).post("/v1/models", Map.of("source", "upload", "name", "x")), "/source",
                "multipart");
        assertRefused(api.adminFor(team.id()).post("/v1/models", Map.of("source", "path", "path",
                dir.toAbsolutePath().toString(), "name", "x", "recipe", "tiny-gpt")), "/recipe", "not used");
    }
}
