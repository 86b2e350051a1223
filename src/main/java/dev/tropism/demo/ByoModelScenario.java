package dev.tropism.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.MediaType;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.JsonNode;

/**
 * The second demo (profile {@code demo-byo}): bring your own base model, through the public REST API only.
 * <ol>
 *   <li>The first demo's data, reward and tiny-gpt base ({@link DemoScenario#prepare}).</li>
 *   <li>The base leaves Tropism as a HuggingFace {@code gpt2} directory ({@code GET /v1/models/{id}/export}), or the
 *       user names their own HF model directory or archive with {@code tropism.demo.import-model}.</li>
 *   <li>It comes back by upload ({@code POST /v1/models}, multipart) and is checked and imported.</li>
 *   <li>A dry-run scores the imported model's samples with the reward spec.</li>
 *   <li>GRPO trains LoRA adapters on it, with greedy held-out evaluation: before → after.</li>
 *   <li>The aligned model answers a completion, and is exported merged ({@code format=hf}) and as adapters
 *       ({@code format=peft}).</li>
 * </ol>
 */
final class ByoModelScenario {

    private final DemoScenario demo;
    private final RestClient api;
    private final DemoProperties props;
    private final Consumer<String> out;

    ByoModelScenario(String baseUrl, String apiKey, DemoProperties props, Consumer<String> out) {
        this.demo = new DemoScenario(baseUrl, apiKey, props, out);
        this.api = RestClient.builder().baseUrl(baseUrl).defaultHeader("Authorization", "Bearer " + apiKey).build();
        this.props = props;
        this.out = out;
    }

    void run() throws InterruptedException, IOException {
        long t0 = System.nanoTime();
        DemoScenario.Prepared p = demo.prepare(t0);

        // 2. Out as a HuggingFace directory, or the user's own model.
        byte[] archive;
        String filename;
        if (props.importModel().isBlank()) {
            archive = api.get().uri("/v1/models/{id}/export?format=hf", p.baseModel()).retrieve().body(byte[].class);
            filename = "arith-base-hf.tar";
            out.accept("exported " + p.baseModel() + " as a HuggingFace gpt2 directory: " + archive.length + " bytes");
        } else {
            Path given = Path.of(props.importModel());
            archive = Files.isDirectory(given) ? tar(given) : Files.readAllBytes(given);
            filename = Files.isDirectory(given) ? given.getFileName() + ".tar" : given.getFileName().toString();
            out.accept("importing " + given + " (" + archive.length + " bytes)");
        }

        // 3. Back in by upload.
        MultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
        form.add("name", "byo-base");
        form.add("file", new ByteArrayResource(archive) {
            @Override
            public String getFilename() {
                return filename;
            }
        });
        JsonNode imported = api.post().uri("/v1/models").contentType(MediaType.MULTIPART_FORM_DATA).body(form).retrieve()
                .body(JsonNode.class);
        String model = imported.path("id").asString();
        JsonNode ready = await("/v1/models/" + model, "ready", "failed");
        if (!ready.path("status").asString().equals("ready")) {
            throw new IllegalStateException("import of " + model + " failed: " + ready.path("import").path("error"));
        }
        JsonNode card = ready.path("import").path("card");
        out.accept(String.format("imported %s: %s, %,d parameters, vocabulary %d, context %d, %s, tokenizer %s", model,
                card.path("architecture").asString(), card.path("parameters").asLong(), card.path("vocab_size").asInt(),
                card.path("context_length").asInt(), card.path("dtype").asString(), card.path("tokenizer").asString()));

        // 4. A dry-run of the reward on the imported model's samples.
        JsonNode dry = demo.post("/v1/reward-specs/" + p.rewardSpec() + "/dry-run", Map.of("model", model, "dataset",
                p.eval(), "limit", 64, "samples_per_prompt", 4, "max_new_tokens", 6, "seed", props.seed()));
        JsonNode dryDone = await("/v1/reward-specs/" + p.rewardSpec() + "/dry-runs/" + dry.path("id").asString(),
                "succeeded", "failed");
        out.accept(String.format("dry-run %s: %s, mean reward %.3f over %d samples", dryDone.path("id").asString(),
                dryDone.path("status").asString(), dryDone.path("report").path("reward").path("mean").asDouble(),
                dryDone.path("report").path("samples").asInt()));

        // 5. GRPO with LoRA adapters, evaluated greedily on the held-out problems.
        Map<String, Object> grpo = new LinkedHashMap<>();
        grpo.put("max_steps", props.grpoSteps());
        // On GPT-2's BPE every position has 50,257 logits (against 16 characters), and they dominate a step: a
        // quarter of the prompts per step keeps a step near 6 s on two cores (64 prompts took 25 s).
        grpo.put("prompts_per_step", props.tokenizer().equals("gpt2") ? 16 : 64);
        grpo.put("num_generations", 8);
        grpo.put("learning_rate", props.loraLearningRate());
        grpo.put("temperature", 0.7);
        grpo.put("max_completion_length", 6);
        grpo.put("eval_interval", 25);
        grpo.put("eval_limit", 1000);
        Map<String, Object> method = new LinkedHashMap<>();
        method.put("type", "grpo");
        method.put("grpo", grpo);
        method.put("lora", Map.of("r", 8, "lora_alpha", 16));
        long g0 = System.nanoTime();
        JsonNode job = demo.post("/v1/jobs", Map.of("model", model, "dataset", p.train(), "eval_dataset", p.eval(),
                "reward_spec", p.rewardSpec(), "method", method, "seed", props.seed(), "suffix", "lora-demo"));
        String jobId = job.path("id").asString();
        out.accept("GRPO + LoRA job " + jobId + " on " + model);
        JsonNode done = demo.follow(jobId, "grpo-lora", "train/reward/mean");
        JsonNode acc = demo.metrics(jobId, "eval/accuracy").path("eval/accuracy");
        double before = acc.get(0).path("value").asDouble();
        double after = acc.get(acc.size() - 1).path("value").asDouble();
        out.accept(String.format("held-out greedy accuracy (%d problems): imported base %.1f%% -> LoRA-aligned %.1f%%"
                + " (%+.1f points) in %.0f s", p.evalProblems(), 100 * before, 100 * after, 100 * (after - before),
                DemoScenario.seconds(g0)));

        // 6. Served, and exported both ways.
        String aligned = done.path("result_model").asString();
        String prompt = props.tokenizer().equals("gpt2") ? "1 2 + 3 4 =" : "12+34=";
        JsonNode completion = demo.post("/v1/completions", Map.of("model", aligned, "prompt", prompt, "max_tokens", 6,
                "temperature", 0));
        out.accept("POST /v1/completions on " + aligned + ": \"" + prompt + "\" -> \""
                + completion.path("choices").get(0).path("text").asString() + "\"");
        for (String format : List.of("hf", "peft")) {
            byte[] tar = api.get().uri("/v1/models/{id}/export?format=" + format, aligned).retrieve().body(byte[].class);
            out.accept("GET /v1/models/" + aligned + "/export?format=" + format + ": " + tar.length + " bytes");
        }
        out.accept(String.format("bring-your-own-model demo wall time %.0f s", DemoScenario.seconds(t0)));
    }

    /** Polls {@code path} until its {@code status} is one of {@code ends}. */
    private JsonNode await(String path, String... ends) throws InterruptedException {
        while (true) {
            JsonNode r = api.get().uri(path).retrieve().body(JsonNode.class);
            if (List.of(ends).contains(r.path("status").asString())) {
                return r;
            }
            Thread.sleep(500);
        }
    }

    /** The files of a model directory (top level) as an uncompressed tar. */
    private static byte[] tar(Path dir) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream o = bytes; TarArchiveOutputStream tar = new TarArchiveOutputStream(o);
                Stream<Path> files = Files.list(dir)) {
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                tar.putArchiveEntry(tar.createArchiveEntry(f, f.getFileName().toString()));
                Files.copy(f, tar);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
