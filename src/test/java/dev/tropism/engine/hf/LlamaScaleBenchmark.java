package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Sampler;
import dev.tropism.engine.nn.AdamW;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rl.GrpoConfig.LossType;
import dev.tropism.engine.rl.GrpoConfig.ScaleRewards;
import dev.tropism.engine.rl.GrpoSpec;
import dev.tropism.engine.serve.ClosedLoopLoad;
import dev.tropism.engine.serve.ClosedLoopLoad.Measured;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's benchmark shape: a random Llama of ~30M parameters with a 32,000-token vocabulary (hidden 384, 8 layers,
 * 6 query heads and 2 key/value heads of 64, SwiGLU 1536, tied embeddings: 29,596,032 parameters), imported from a
 * real HF directory written here. One measurement per JVM, chosen by {@code -Dllama.mode}, so that each peak RSS is
 * that of its own process:
 * <ul>
 *   <li>{@code decode}: KV-cached decoding tokens/s (batch 64, 8-token prompts, 64 new tokens, temperature 1 on the
 *       device);
 *   <li>{@code lora}, {@code full}: one GRPO-like update (forward + backward + global-norm clip + AdamW on 16 rows of
 *       32 prompt + 32 completion tokens, TRL's β = 0 loss, no reference forward) with LoRA (r = 8, α = 16 on q, k, v,
 *       o) or every weight trainable; median step time and peak RSS (VmHWM, reset through /proc/self/clear_refs once
 *       the model is loaded);
 *   <li>{@code grpo}, {@code grpo-full}: real GRPO iterations through {@link Engine#open} (8 prompts × 4 samples,
 *       32 new tokens, a cheap reward) with LoRA or full fine-tuning: the median of the engine's own
 *       rollout / reward / update split, and the peak RSS of the run;
 *   <li>{@code serve}: continuous batching ({@link ClosedLoopLoad}) at 1 and 32 clients, max batch 64 against one
 *       request at a time.
 * </ul>
 * The anchor is {@code tools/hf-reference/llama_anchor.py}; {@code tools/hf-reference/llama_scale.sh} runs every mode
 * of both, each in its own process. One mode:
 * {@code ./mvnw -B -o -Pbench surefire:test -Dskip.frontend -Dtest=LlamaScaleBenchmark -Dllama.mode=decode} after
 * {@code test-compile}. Prints its results; docs/benchmarks.md's "Imported Llama at 30M" section is copied from them.
 */
@Tag("bench")
class LlamaScaleBenchmark {

    static final int VOCAB = 32000;
    static final int HIDDEN = 384;
    static final int LAYERS = 8;
    static final int HEADS = 6;
    static final int KV_HEADS = 2;
    static final int INTERMEDIATE = 1536;
    static final int CONTEXT = 256;

    static final int DECODE_BATCH = 64;
    static final int PROMPT = 8;
    static final int NEW_TOKENS = 64;

    static final int TRAIN_ROWS = 16;
    static final int TRAIN_PROMPT = 32;
    static final int TRAIN_COMPLETION = 32;
    static final int WARMUP_STEPS = 2;
    static final int STEPS = 5;

    static final int GRPO_PROMPTS = 8;
    static final int GRPO_SAMPLES = 4;
    static final int GRPO_PROMPT_WORDS = 16;
    static final int GRPO_NEW_TOKENS = 32;
    static final int GRPO_STEPS = 3; // after one warm-up step

    static final int SERVE_NEW_TOKENS = 32;
    static final long SERVE_SECONDS = 12;
    static final int SERVE_REPEATS = 2;
    static final int[] SERVE_CLIENTS = {1, 32};

    @Test
    void measure(@TempDir Path dir) throws Exception {
        String mode = System.getProperty("llama.mode", "decode");
        writeModel(dir);
        String out = switch (mode) {
            case "decode", "lora", "full", "serve" -> onLoadedModel(dir, mode);
            case "grpo" -> grpo(dir, true);
            case "grpo-full" -> grpo(dir, false);
            default -> throw new IllegalArgumentException("llama.mode: decode, lora, full, grpo, grpo-full or serve");
        };
        System.out.println("\n==== LlamaScaleBenchmark " + mode + " ====\n" + out);
        assertTrue(out.length() > 0);
    }

    private static String onLoadedModel(Path dir, String mode) throws Exception {
        StringBuilder out = new StringBuilder();
        try (NDManager root = NDManager.newBaseManager(); LanguageModel model = LanguageModel.load(dir, root)) {
            HfCausalLm lm = (HfCausalLm) model.lm();
            long params = 0;
            for (NDArray p : lm.parameters().values()) {
                params += p.getShape().size();
            }
            out.append(String.format(Locale.ROOT, "model: llama, %,d parameters, vocab %d, hidden %d, %d layers, %d/%d heads, "
                    + "intermediate %d%n", params, VOCAB, HIDDEN, LAYERS, HEADS, KV_HEADS, INTERMEDIATE));
            switch (mode) {
                case "decode" -> {
                    Sampler.PromptBatch pb = prompts(DECODE_BATCH, PROMPT);
                    decode(model, pb, root); // warm-up
                    double best = 0;
                    for (int rep = 0; rep < 3; rep++) {
                        best = Math.max(best, decode(model, pb, root));
                    }
                    out.append(String.format(Locale.ROOT, "decode (KV cache, batch %d, prompt %d, %d new tokens, best of "
                            + "3): %,.0f tokens/s%n", DECODE_BATCH, PROMPT, NEW_TOKENS, best));
                }
                case "lora" -> {
                    lm.attach(Lora.initialize(new LoraConfig(8, 16, 0, List.of("q_proj", "k_proj", "v_proj", "o_proj")),
                            lm, 1, root));
                    out.append(train("LoRA r=8 (q,k,v,o)", lm, lm.lora().parameters(), root));
                }
                case "full" -> out.append(train("full fine-tuning", lm, lm.parameters(), root));
                default -> out.append(serve(model, lm));
            }
        }
        return out.toString();
    }

    /**
     * GRPO iterations through the engine ({@link Engine#open}, as a job runs them): one warm-up step, then the median
     * of the engine's own rollout / reward / update seconds ({@code perf/*}) over {@link #GRPO_STEPS} steps, and the
     * peak RSS while they ran (VmHWM reset once the run is open: model loaded, policy and optimizer built).
     */
    private static String grpo(Path dir, boolean lora) throws Exception {
        GrpoConfig config = new GrpoConfig(1 + GRPO_STEPS, GRPO_PROMPTS, GRPO_SAMPLES, 1, 1e-5, 0, 0.0, 1.0, 0.0, 0.2,
                0.28, ScaleRewards.GROUP, LossType.DAPO, false, GRPO_NEW_TOKENS, 1.0, 1.0, 0, 1000, 1.0);
        Random rng = new Random(13);
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < GRPO_PROMPTS; i++) {
            items.add(Map.of("prompt", words(rng, GRPO_PROMPT_WORDS)));
        }
        // A rule-based reward as cheap as a string check: the share of completion words with an even id.
        RewardFunction evenIds = RewardFunction.perSample((item, output) -> {
            String[] words = output.trim().split("\\s+");
            long even = Arrays.stream(words).filter(w -> w.length() > 1 && (w.charAt(w.length() - 1) - '0') % 2 == 0)
                    .count();
            return RewardResult.of((double) even / Math.max(1, words.length));
        });
        LoraConfig adapters = lora ? new LoraConfig(8, 16, 0, List.of("q_proj", "k_proj", "v_proj", "o_proj")) : null;
        GrpoSpec spec = new GrpoSpec(dir, config, items, List.of(), evenIds, 11, null, adapters);
        long rssBefore = status("VmRSS");
        double[][] parts = new double[3][GRPO_STEPS]; // rollout, reward, update seconds per measured step
        long rssOpen;
        try (TrainingRun run = Engine.open(spec)) {
            System.gc();
            resetPeakRss();
            rssOpen = status("VmRSS");
            for (int s = 0; s <= GRPO_STEPS; s++) {
                Map<String, Double> m = run.trainStep();
                if (s > 0) {
                    parts[0][s - 1] = m.get(MetricNames.PERF_ROLLOUT_SECONDS);
                    parts[1][s - 1] = m.get(MetricNames.PERF_REWARD_SECONDS);
                    parts[2][s - 1] = m.get(MetricNames.PERF_UPDATE_SECONDS);
                }
            }
        }
        long peak = status("VmHWM");
        double rollout = median(parts[0]);
        double reward = median(parts[1]);
        double update = median(parts[2]);
        double total = rollout + reward + update;
        return String.format(Locale.ROOT, "grpo %s: %d prompts x %d samples, %d-word prompts, %d new tokens, median of %d "
                + "steps after 1 warm-up: rollout %.2f s (%.0f%%), reward %.4f s (%.1f%%), update %.2f s (%.0f%%), "
                + "iteration %.2f s (rollout %s / reward %s / update %s s); RSS before open %d MiB, after open %d MiB, "
                + "peak RSS during the steps %d MiB%n", lora ? "LoRA r=8 (q,k,v,o)" : "full fine-tuning", GRPO_PROMPTS,
                GRPO_SAMPLES, GRPO_PROMPT_WORDS, GRPO_NEW_TOKENS, GRPO_STEPS, rollout, 100 * rollout / total, reward,
                100 * reward / total, update, 100 * update / total, total, fmt(parts[0], "%.2f"), fmt(parts[1], "%.4f"),
                fmt(parts[2], "%.2f"), rssBefore / 1024, rssOpen / 1024, peak / 1024);
    }

    /**
     * Continuous batching of the 30M Llama in {@link dev.tropism.engine.serve.Generator}: closed-loop clients with
     * 8-word prompts and {@link #SERVE_NEW_TOKENS} greedy tokens each, max batch 64 against one request at a time (max
     * batch 1), best of {@link #SERVE_REPEATS} alternating windows per cell.
     */
    private static String serve(LanguageModel model, HfCausalLm lm) throws Exception {
        // EOS (id 1) gets a zero embedding row: its tied logit is then exactly 0 while the best of the other 31,999 is
        // positive, so greedy requests run their full length and both modes do the same work per request.
        lm.parameters().get("model.embed_tokens.weight").set(new NDIndex(1), 0f);
        LongFunction<String> prompt = n -> words(new Random(n), PROMPT);
        ClosedLoopLoad.measure(model, 64, 8, 3, SERVE_NEW_TOKENS, prompt); // warm-up: JIT, PyTorch allocator
        StringBuilder out = new StringBuilder("| clients | batched tokens/s | p50 ms | TTFT p50 ms | one-at-a-time tokens/s "
                + "| p50 ms | TTFT p50 ms | speed-up |\n|---|---|---|---|---|---|---|---|\n");
        for (int clients : SERVE_CLIENTS) {
            Measured b = null;
            Measured o = null;
            for (int rep = 0; rep < SERVE_REPEATS; rep++) {
                b = Measured.best(b, ClosedLoopLoad.measure(model, 64, clients, SERVE_SECONDS, SERVE_NEW_TOKENS, prompt));
                o = Measured.best(o, ClosedLoopLoad.measure(model, 1, clients, SERVE_SECONDS, SERVE_NEW_TOKENS, prompt));
            }
            out.append(String.format(Locale.ROOT, "| %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.1fx |%n", clients,
                    b.tokensPerSecond(), b.p50Ms(), b.ttftP50Ms(), o.tokensPerSecond(), o.p50Ms(), o.ttftP50Ms(),
                    b.tokensPerSecond() / o.tokensPerSecond()));
        }
        return out.append(String.format(Locale.ROOT, "serve: %d-word prompts, %d greedy new tokens per request, best of %d "
                + "alternating %d s closed-loop windows per cell%n", PROMPT, SERVE_NEW_TOKENS, SERVE_REPEATS,
                SERVE_SECONDS)).toString();
    }

    /** {@code n} random non-special words ("w2" ... "w31999"), one token each. */
    private static String words(Random rng, int n) {
        StringBuilder p = new StringBuilder("w" + (2 + rng.nextInt(VOCAB - 2)));
        for (int w = 1; w < n; w++) {
            p.append(" w").append(2 + rng.nextInt(VOCAB - 2));
        }
        return p.toString();
    }

    private static double median(double[] v) {
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double decode(LanguageModel model, Sampler.PromptBatch pb, NDManager root) {
        try (NDManager m = root.newSubManager()) {
            long t0 = System.nanoTime();
            Sampler.Completions c = Sampler.sample(model, pb, NEW_TOKENS, new Sampler.Decoding(1.0, 1.0, new Random(3)),
                    true, m);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long tokens = 0;
            for (int len : c.lengths()) {
                tokens += len;
            }
            return tokens / seconds;
        }
    }

    /** Median step time and peak RSS of {@link #WARMUP_STEPS} + {@link #STEPS} updates of {@code trainable}. */
    private static String train(String label, HfCausalLm lm, Map<String, NDArray> trainable, NDManager root)
            throws Exception {
        System.gc();
        resetPeakRss();
        long rssBefore = status("VmRSS");
        long trainableCount = 0;
        for (NDArray p : trainable.values()) {
            trainableCount += p.getShape().size();
        }
        Random rng = new Random(11);
        double[] ms = new double[STEPS];
        try (NDManager m = root.newSubManager()) {
            HashSet<String> matrices = new HashSet<>();
            trainable.forEach((k, v) -> {
                if (v.getShape().dimension() >= 2) {
                    matrices.add(k);
                }
            });
            AdamW opt = new AdamW(trainable, matrices, 0.9, 0.99, 1e-8, 0.0, m);
            int t = TRAIN_PROMPT + TRAIN_COMPLETION - 1;
            int[] inputs = new int[TRAIN_ROWS * t];
            int[] targets = new int[TRAIN_ROWS * TRAIN_COMPLETION];
            int[] pos = new int[TRAIN_ROWS * t];
            float[] keyMask = new float[TRAIN_ROWS * t];
            float[] adv = new float[TRAIN_ROWS];
            for (int r = 0; r < TRAIN_ROWS; r++) {
                int[] seq = new int[TRAIN_PROMPT + TRAIN_COMPLETION];
                for (int i = 0; i < seq.length; i++) {
                    seq[i] = 2 + rng.nextInt(VOCAB - 2);
                }
                for (int i = 0; i < t; i++) {
                    inputs[r * t + i] = seq[i];
                    pos[r * t + i] = i;
                    keyMask[r * t + i] = 1f;
                }
                System.arraycopy(seq, TRAIN_PROMPT, targets, r * TRAIN_COMPLETION, TRAIN_COMPLETION);
                adv[r] = (float) rng.nextGaussian();
            }
            NDArray in = m.create(inputs, new Shape(TRAIN_ROWS, t));
            NDArray positions = m.create(pos, new Shape(TRAIN_ROWS, t));
            NDArray km = m.create(keyMask, new Shape(TRAIN_ROWS, t));
            NDArray tg = m.create(targets, new Shape(TRAIN_ROWS, TRAIN_COMPLETION)).toType(DataType.INT64, false);
            NDArray advantages = m.create(adv, new Shape(TRAIN_ROWS, 1));
            for (int step = 0; step < WARMUP_STEPS + STEPS; step++) {
                long t0 = System.nanoTime();
                Gradients.COLLECTOR_LOCK.lock();
                try (NDManager s = m.newSubManager()) {
                    // A forward's arrays join its first operand's manager: in s, the step's arrays are freed with it.
                    in.tempAttach(s);
                    positions.tempAttach(s);
                    km.tempAttach(s);
                    for (NDArray a : trainable.values()) {
                        a.setRequiresGradient(true);
                    }
                    try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                        NDArray logits = lm.forward(in, positions, km, null)
                                .get(new NDIndex(":, " + (TRAIN_PROMPT - 1) + ":, :")); // (B, Tc, V)
                        NDArray logp = logits.logSoftmax(-1).gather(tg.expandDims(-1), -1).squeeze(-1); // (B, Tc)
                        NDArray ratio = logp.sub(logp.stopGradient()).exp();
                        NDArray loss = ratio.mul(advantages).mean().neg();
                        gc.backward(loss);
                    }
                    double norm = Gradients.globalNorm(trainable, s);
                    opt.step(trainable, 1e-5, Gradients.clipScale(norm, 1.0));
                } finally {
                    for (NDArray a : trainable.values()) {
                        a.setRequiresGradient(false);
                    }
                    Gradients.COLLECTOR_LOCK.unlock();
                }
                if (step >= WARMUP_STEPS) {
                    ms[step - WARMUP_STEPS] = (System.nanoTime() - t0) / 1e6;
                }
            }
            opt.close();
        }
        long peak = status("VmHWM");
        return String.format(Locale.ROOT, "train %s: %,d trainable, %d rows x (%d + %d) tokens, step median %.0f ms "
                + "(steps %s), RSS before %d MiB, peak RSS %d MiB (+%d MiB)%n", label, trainableCount, TRAIN_ROWS,
                TRAIN_PROMPT, TRAIN_COMPLETION, median(ms), fmt(ms, "%.0f"), rssBefore / 1024, peak / 1024,
                (peak - rssBefore) / 1024);
    }

    private static String fmt(double[] v, String format) {
        List<String> s = new ArrayList<>();
        for (double x : v) {
            s.add(String.format(Locale.ROOT, format, x));
        }
        return String.join("/", s);
    }

    /** Linux: writing 5 to clear_refs resets VmHWM to the current RSS. */
    private static void resetPeakRss() throws Exception {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    }

    /** {@code /proc/self/status}'s {@code key} in KiB. */
    private static long status(String key) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException(key);
    }

    /** {@code rows} prompts of {@code len} random non-special ids ("w2" ... "w31999"). */
    private static Sampler.PromptBatch prompts(int rows, int len) {
        Random rng = new Random(5);
        int[][] tokens = new int[rows][len];
        int[] lengths = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < len; i++) {
                tokens[r][i] = 2 + rng.nextInt(VOCAB - 2);
            }
            lengths[r] = len;
        }
        return new Sampler.PromptBatch(tokens, lengths, len);
    }

    /**
     * config.json, model.safetensors (N(0, 0.02) weights from a Java RNG seeded 7, norms 1) and a synthetic 32,000-token
     * WordLevel tokenizer.json ({@code <unk>} = 0, {@code </s>} = 1 = EOS, then {@code w2} ... {@code w31999}).
     */
    static void writeModel(Path dir) throws Exception {
        Files.writeString(dir.resolve(HfConfig.FILE), String.format(Locale.ROOT, """
                {"model_type": "llama", "vocab_size": %d, "hidden_size": %d, "intermediate_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
                 "max_position_embeddings": %d, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
                 "tie_word_embeddings": true, "eos_token_id": 1}""", VOCAB, HIDDEN, INTERMEDIATE, LAYERS, HEADS,
                KV_HEADS, CONTEXT));
        int hd = HIDDEN / HEADS;
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new Shape(VOCAB, HIDDEN));
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new Shape(HIDDEN));
            shapes.put(p + "self_attn.q_proj.weight", new Shape(HEADS * hd, HIDDEN));
            shapes.put(p + "self_attn.k_proj.weight", new Shape(KV_HEADS * hd, HIDDEN));
            shapes.put(p + "self_attn.v_proj.weight", new Shape(KV_HEADS * hd, HIDDEN));
            shapes.put(p + "self_attn.o_proj.weight", new Shape(HIDDEN, HEADS * hd));
            shapes.put(p + "post_attention_layernorm.weight", new Shape(HIDDEN));
            shapes.put(p + "mlp.gate_proj.weight", new Shape(INTERMEDIATE, HIDDEN));
            shapes.put(p + "mlp.up_proj.weight", new Shape(INTERMEDIATE, HIDDEN));
            shapes.put(p + "mlp.down_proj.weight", new Shape(HIDDEN, INTERMEDIATE));
        }
        shapes.put("model.norm.weight", new Shape(HIDDEN));
        HfTestModels.writeRandomWeights(dir, shapes, 0.02, 7);
        StringBuilder vocab = new StringBuilder("{\"<unk>\": 0, \"</s>\": 1");
        for (int i = 2; i < VOCAB; i++) {
            vocab.append(", \"w").append(i).append("\": ").append(i);
        }
        vocab.append('}');
        Files.writeString(dir.resolve(HfTokenizer.FILE), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [
                  {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false,
                   "normalized": false, "special": true},
                  {"id": 1, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
                   "normalized": false, "special": true}],
                 "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null,
                 "decoder": null, "model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": %s}}"""
                .formatted(vocab), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(HfTokenizer.CONFIG), """
                {"eos_token": "</s>", "unk_token": "<unk>", "tokenizer_class": "PreTrainedTokenizerFast"}""");
    }
}
