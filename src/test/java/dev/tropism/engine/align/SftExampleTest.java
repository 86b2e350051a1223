package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import dev.tropism.engine.hf.HfTestModels;
import dev.tropism.engine.hf.HfTokenizer;
import dev.tropism.engine.lm.CharTokenizer;
import dev.tropism.engine.lm.ChatFormat;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@code sft} lines become sequences and which of their tokens the loss counts ({@link SftExample}), and how rows
 * of them become a forward's tensors, padded or packed ({@link SftBatch}, {@link PackedCycle}).
 */
class SftExampleTest {

    @TempDir
    Path tmp;

    static Map<String, Object> pair(String prompt, String completion) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("prompt", prompt);
        item.put("completion", completion);
        return item;
    }

    /** {@code {"messages": [...]}} from role, content, role, content, ... */
    static Map<String, Object> chat(String... roleContent) {
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < roleContent.length; i += 2) {
            messages.add(Map.of("role", roleContent[i], "content", roleContent[i + 1]));
        }
        return Map.of("messages", messages);
    }

    private static int id(Tokenizer tok, String ch) {
        return tok.encode(ch)[0];
    }

    @Test
    void promptTokensAreContextAndTheCompletionAndEosAreTargets() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); LanguageModel model = LanguageModel.load(LmMethodFixture.base(), m)) {
            Tokenizer tok = model.tokenizer();
            int bos = tok.bos();
            int eos = tok.eos();
            int a = id(tok, "a");
            int b = id(tok, "b");
            int eq = id(tok, "=");
            int x = id(tok, "x");
            int y = id(tok, "y");
            SftExample e1 = SftExample.of(pair("a=", "x"), model, 8).get(0);
            assertArrayEquals(new int[] {bos, a, eq, x, eos}, e1.tokens());
            assertArrayEquals(new boolean[] {false, false, false, true, true}, e1.counts());
            SftExample e2 = SftExample.of(pair("b=", "xy"), model, 8).get(0);
            assertArrayEquals(new int[] {bos, b, eq, x, y, eos}, e2.tokens());
            assertArrayEquals(new boolean[] {false, false, false, true, true, true}, e2.counts());

            SftBatch batch = SftBatch.of(List.of(List.of(e1), List.of(e2)), m);
            // width 5: row 0 reads BOS a = x (and one pad), row 1 BOS b = x y; the targets that count are those of
            // positions 2 (x) and 3 (EOS) of row 0, and 2 (x), 3 (y), 4 (EOS) of row 1: flat 2, 3, 7, 8, 9
            assertArrayEquals(new int[] {bos, a, eq, x, 0, bos, b, eq, x, y}, batch.inputs.toIntArray());
            assertArrayEquals(new int[] {0, 1, 2, 3, 0, 0, 1, 2, 3, 4}, batch.positions.toIntArray());
            assertArrayEquals(new float[] {1, 1, 1, 1, 0, 1, 1, 1, 1, 1}, batch.keyMask.toFloatArray());
            assertArrayEquals(new long[] {2, 3, 7, 8, 9}, batch.counted.toLongArray());
            assertArrayEquals(new long[] {x, eos, x, y, eos}, batch.targets.toLongArray());
            assertThat(batch.count).isEqualTo(5);
            assertThat(batch.tokens).isEqualTo(9);

            // L = −(1/5) Σ log π(target), each from a forward of its own sequence alone
            double loss = batch.logp(batch.logits(model.lm())).mean().neg().getFloat();
            double expected = -(logp(model, e1, 2) + logp(model, e1, 3) + logp(model, e2, 2) + logp(model, e2, 3)
                    + logp(model, e2, 4)) / 5;
            assertThat(loss).isCloseTo(expected, within(1e-5));
        }
    }

    /** log π(tokens[t + 1] | tokens[0..t]) from a full forward of {@code e} alone, log-softmax in Java. */
    private static double logp(LanguageModel model, SftExample e, int t) {
        try (NDManager m = NDManager.newBaseManager()) {
            int n = e.inputs();
            int[] pos = new int[n];
            float[] mask = new float[n];
            for (int i = 0; i < n; i++) {
                pos[i] = i;
                mask[i] = 1f;
            }
            Shape s = new Shape(1, n);
            float[] logits = model.lm().forward(m.create(Arrays.copyOf(e.tokens(), n), s), m.create(pos, s),
                    m.create(mask, s), null).toFloatArray(); // (1, n, V)
            int v = model.lm().vocabSize();
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < v; k++) {
                max = Math.max(max, logits[t * v + k]);
            }
            double z = 0;
            for (int k = 0; k < v; k++) {
                z += Math.exp(logits[t * v + k] - max);
            }
            return logits[t * v + e.tokens()[t + 1]] - max - Math.log(z);
        }
    }

    @Test
    void aLongSequenceLosesItsPromptsHeadThenItsEnd() {
        int[] tokens = {1, 10, 11, 12, 13, 20, 21, 2};
        boolean[] counts = {false, false, false, false, false, true, true, true};
        SftExample fits = SftExample.truncate(tokens, counts, 8);
        assertArrayEquals(tokens, fits.tokens());
        // 2 over: the prompt's first two tokens go (BOS stays)
        SftExample six = SftExample.truncate(tokens, counts, 6);
        assertArrayEquals(new int[] {1, 12, 13, 20, 21, 2}, six.tokens());
        assertArrayEquals(new boolean[] {false, false, false, true, true, true}, six.counts());
        // 4 over: the prompt keeps one token before the completion, then the completion's end (EOS) is cut
        SftExample four = SftExample.truncate(tokens, counts, 4);
        assertArrayEquals(new int[] {1, 13, 20, 21}, four.tokens());
        assertArrayEquals(new boolean[] {false, false, true, true}, four.counts());
        assertThrows(IllegalArgumentException.class,
                () -> SftExample.truncate(new int[] {1, 10}, new boolean[] {false, false}, 4));
    }

    @Test
    void aPackedRowScoresEachSequenceAsIfItWereAlone() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); LanguageModel model = LanguageModel.load(LmMethodFixture.base(), m)) {
            SftExample e1 = SftExample.of(pair("a=", "x"), model, 8).get(0);
            SftExample e2 = SftExample.of(pair("c=", "y"), model, 8).get(0);
            SftExample e3 = SftExample.of(pair("gh=", "zz"), model, 8).get(0);
            SftBatch padded = SftBatch.of(List.of(List.of(e1), List.of(e2), List.of(e3)), m);
            SftBatch packed = SftBatch.of(List.of(List.of(e1, e2), List.of(e3)), m);
            assertThat(packed.keyMask.getShape()).isEqualTo(new Shape(2, 8, 8));
            assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 0, 0}, packed.positions.toIntArray());
            // query 5 (e2's second position) sees keys 4 and 5 of e2 only (the causal mask removes key 6 and on)
            float[] mask = packed.keyMask.toFloatArray();
            assertArrayEquals(new float[] {0, 0, 0, 0, 1, 1, 1, 1}, Arrays.copyOfRange(mask, 5 * 8, 6 * 8));
            float[] alone = padded.logp(padded.logits(model.lm())).toFloatArray();
            float[] together = packed.logp(packed.logits(model.lm())).toFloatArray();
            assertThat(together).hasSize(alone.length);
            for (int k = 0; k < alone.length; k++) {
                assertThat((double) together[k]).as("target " + k).isCloseTo(alone[k], within(1e-5));
            }
        }
    }

    @Test
    void packedRowsHoldEveryItemOncePerEpochWithinTheirCapacity() {
        List<Integer> sizes = List.of(3, 5, 2, 7, 1, 4, 6, 8); // distinct: each is its own item
        PackedCycle<Integer> cycle = new PackedCycle<>(sizes, Integer::intValue, 8, 4);
        List<List<Integer>> rows = new ArrayList<>();
        for (int s = 0; s < 12; s++) {
            rows.addAll(cycle.at(s, 2));
        }
        int total = 0;
        Map<Integer, Integer> seen = new HashMap<>();
        int epochs = 0;
        for (List<Integer> row : rows) {
            assertThat(row.stream().mapToInt(Integer::intValue).sum()).as("row " + row).isLessThanOrEqualTo(8);
            for (int item : row) {
                seen.merge(item, 1, Integer::sum);
            }
            total += row.size();
            if (total % sizes.size() == 0) { // an epoch ends with a row
                epochs++;
                int e = epochs;
                seen.values().forEach(n -> assertThat(n).isEqualTo(e));
            }
        }
        assertThat(epochs).isGreaterThanOrEqualTo(3);
        // a step's rows depend on the step alone: a fresh cycle asked for step 9 first gives the same rows
        assertThat(new PackedCycle<>(sizes, Integer::intValue, 8, 4).at(9, 2)).isEqualTo(rows.subList(18, 20));
        assertThat(new PackedCycle<>(sizes, Integer::intValue, 8, 5).at(9, 2)).isNotEqualTo(rows.subList(18, 20));
    }

    @Test
    void messagesThroughAChatFormatTrainEachAssistantTurnAfterItsPrompt() throws Exception {
        CharTokenizer chars = CharTokenizer.fit(List.of("systemuserassistant:;abxy="));
        Path dir = Files.createDirectories(tmp.resolve("chat-format"));
        try (NDManager m = NDManager.newBaseManager()) {
            Gpt gpt = Gpt.initialize(new GptConfig(1, 16, 2, 64, chars.vocabSize()), 1, m);
            new LanguageModel(gpt, chars, new ChatFormat("{role}:{content};", "assistant:")).save(dir);
        }
        try (NDManager m = NDManager.newBaseManager(); LanguageModel model = LanguageModel.load(dir, m)) {
            List<SftExample> out = SftExample.of(chat("system", "s", "user", "a=", "assistant", "x", "user", "b=",
                    "assistant", "y", "user", "a="), model, 64);
            assertThat(out).hasSize(2);
            // each turn follows its generation prompt, as a chat request would show it, and ends with EOS
            assertSplit(model, out.get(0), "system:s;user:a=;assistant:", "x");
            assertSplit(model, out.get(1), "system:s;user:a=;assistant:x;user:b=;assistant:", "y");
        }
    }

    /** The sequence is BOS + {@code context} (not counted) + {@code target} + EOS (counted). */
    private static void assertSplit(LanguageModel model, SftExample e, String context, String target) {
        Tokenizer tok = model.tokenizer();
        int[] expected = tok.start(tok.encode(context + target));
        expected = Arrays.copyOf(expected, expected.length + 1);
        expected[expected.length - 1] = tok.eos();
        assertArrayEquals(expected, e.tokens(), context + target);
        int first = tok.start(tok.encode(context)).length;
        for (int j = 0; j < expected.length; j++) {
            assertThat(e.counts()[j]).as("token " + j + " of " + context + target).isEqualTo(j >= first);
        }
    }

    /** The llama fixture (ids: 0 pad, 1 BOS, 2 EOS, 4–13 the digits, 14–23 a–j) with {@code template}. */
    static Path llamaWithTemplate(Path dir, String template) throws Exception {
        HfTestModels.model("llama", dir);
        JsonObject config = new JsonObject();
        config.addProperty("bos_token", "<s>");
        config.addProperty("eos_token", "</s>");
        config.addProperty("chat_template", template);
        Files.writeString(dir.resolve(HfTokenizer.CONFIG), config.toString());
        return dir;
    }

    /** 0 system, 1 user, 2 assistant; an assistant turn ends with EOS. */
    static final String TEMPLATE = "{% for m in messages %}{% if m['role'] == 'system' %}0{{ m['content'] }}"
            + "{% elif m['role'] == 'user' %}1{{ m['content'] }}{% else %}2{{ m['content'] }}{{ eos_token }}{% endif %}"
            + "{% endfor %}{% if add_generation_prompt %}2{% endif %}";

    @Test
    void messagesThroughAJinjaTemplateAreOneSequenceWithTheLossOnAssistantTurnsOnly() throws Exception {
        Path dir = llamaWithTemplate(Files.createDirectories(tmp.resolve("llama")), TEMPLATE);
        try (NDManager m = NDManager.newBaseManager(); LanguageModel model = LanguageModel.load(dir, m)) {
            List<SftExample> out = SftExample.of(chat("system", "ab", "user", "cd", "assistant", "ef", "user", "gh",
                    "assistant", "ij"), model, 32);
            assertThat(out).hasSize(1);
            // BOS "0ab1cd2" | "ef</s>" | "1gh2" | "ij</s>"
            assertArrayEquals(new int[] {1, 4, 14, 15, 5, 16, 17, 6, 18, 19, 2, 5, 20, 21, 6, 22, 23, 2},
                    out.get(0).tokens());
            boolean[] counted = new boolean[18];
            for (int j : new int[] {8, 9, 10, 15, 16, 17}) {
                counted[j] = true;
            }
            assertArrayEquals(counted, out.get(0).counts());
        }
    }

    @Test
    void aTemplateThatRewritesTheHistoryTrainsEachAssistantTurnOnItsOwn() throws Exception {
        // earlier assistant turns are rendered without their content (as templates that drop reasoning do)
        String rewriting = "{% for m in messages %}{% if m['role'] == 'user' %}1{{ m['content'] }}"
                + "{% else %}2{% if loop.last %}{{ m['content'] }}{% endif %}{{ eos_token }}{% endif %}{% endfor %}"
                + "{% if add_generation_prompt %}2{% endif %}";
        Path dir = llamaWithTemplate(Files.createDirectories(tmp.resolve("llama")), rewriting);
        try (NDManager m = NDManager.newBaseManager(); LanguageModel model = LanguageModel.load(dir, m)) {
            List<SftExample> out = SftExample.of(chat("user", "ab", "assistant", "cd", "user", "ef", "assistant", "gh"),
                    model, 32);
            assertThat(out).hasSize(2);
            assertArrayEquals(new int[] {1, 5, 14, 15, 6, 16, 17, 2}, out.get(0).tokens()); // BOS "1ab2" | "cd</s>"
            assertArrayEquals(new boolean[] {false, false, false, false, false, true, true, true}, out.get(0).counts());
            // BOS "1ab2</s>1ef2" | "gh</s>"
            assertArrayEquals(new int[] {1, 5, 14, 15, 6, 2, 5, 18, 19, 6, 20, 21, 2}, out.get(1).tokens());
            assertThat(out.get(1).counts()).containsExactly(false, false, false, false, false, false, false, false,
                    false, false, true, true, true);
        }
    }

    @Test
    void unusableItemsAreNamed() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); LanguageModel model = LanguageModel.load(LmMethodFixture.base(), m)) {
            List<Map<String, Object>> items = List.of(pair("a=", "x"), chat("user", "a="));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SftExample.all(items, model, 8, "dataset"));
            assertThat(e.getMessage()).contains("dataset item 2").contains("no assistant turn");
            Map<String, Object> both = new HashMap<>(chat("assistant", "x"));
            both.put("prompt", "a=");
            assertThat(assertThrows(IllegalArgumentException.class, () -> SftExample.of(both, model, 8)).getMessage())
                    .contains("both");
            assertThat(assertThrows(IllegalArgumentException.class,
                    () -> SftExample.of(chat("tool", "a", "assistant", "x"), model, 8)).getMessage()).contains("tool");
        }
    }

    @Test
    void embeddingNoiseIsUniformWithinItsScaleAndSeeded() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray zeros = m.zeros(new Shape(2, 3, 4));
            float[] a = new dev.tropism.engine.lm.EmbeddingNoise(5, 7).addTo(zeros).toFloatArray();
            double bound = 5 / Math.sqrt(3 * 4);
            double maxAbs = 0;
            for (float v : a) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            assertThat(maxAbs).isLessThanOrEqualTo(bound).isGreaterThan(bound / 2);
            assertArrayEquals(a, new dev.tropism.engine.lm.EmbeddingNoise(5, 7).addTo(zeros).toFloatArray());
            assertThat(new dev.tropism.engine.lm.EmbeddingNoise(5, 8).addTo(zeros).toFloatArray()).isNotEqualTo(a);
        }
    }
}
