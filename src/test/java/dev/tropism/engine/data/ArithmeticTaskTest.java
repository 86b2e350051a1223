package dev.tropism.engine.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.hf.Gpt2Bpe;
import dev.tropism.engine.hf.HfTokenizer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The arithmetic task's text forms, plain and spaced, and what GPT-2's BPE makes of them. */
class ArithmeticTaskTest {

    @Test
    void spacedProblemsGiveGpt2OneTokenPerDigitAndSign() throws Exception {
        ArithmeticTask.Sets plain = ArithmeticTask.generate(new ArithmeticTask.Config(2, true, 10, 5, 5, 7, false));
        ArithmeticTask.Sets spaced = ArithmeticTask.generate(new ArithmeticTask.Config(2, true, 10, 5, 5, 7, true));
        Map<String, Object> p = plain.evalPrompts().get(0);
        Map<String, Object> s = spaced.evalPrompts().get(0);
        String prompt = (String) p.get("prompt"); // e.g. "47+85="
        String answer = (String) p.get("answer"); // e.g. "231"
        assertThat(prompt).matches("\\d\\d\\+\\d\\d=");
        assertThat(s.get("prompt")).as("the same problem, spaced").isEqualTo(String.join(" ", prompt.split("")));
        assertThat(s.get("answer")).isEqualTo(" " + String.join(" ", answer.split("")));
        assertThat(spaced.corpus().get(0)).isEqualTo(String.join(" ", plain.corpus().get(0).split("")));

        try (HfTokenizer gpt2 = Gpt2Bpe.load()) {
            String text = s.get("prompt") + (String) s.get("answer");
            assertThat(gpt2.encode(text)).as(text).hasSize(text.replace(" ", "").length());
            assertThat(gpt2.encode(prompt + answer).length).as("plain: digits merge").isLessThan(
                    (prompt + answer).length());
        }
    }
}
