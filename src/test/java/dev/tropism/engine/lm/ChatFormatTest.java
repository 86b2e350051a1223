package dev.tropism.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chat template stored in {@code model.json}: rendering, round trip, the default when absent. */
class ChatFormatTest {

    private static final List<ChatFormat.Turn> CHAT = List.of(new ChatFormat.Turn("system", "Add."),
            new ChatFormat.Turn("user", "2+3"));

    @Test
    void defaultRendersOneLinePerMessage() {
        assertThat(ChatFormat.DEFAULT.render(CHAT)).isEqualTo("system: Add.\nuser: 2+3\nassistant: ");
    }

    @Test
    void customTemplateReplacesPlaceholdersLiterally() {
        ChatFormat f = new ChatFormat("<{role}>{content}</{role}>", "<assistant>");
        assertThat(f.render(CHAT)).isEqualTo("<system>Add.</system><user>2+3</user><assistant>");
        assertThat(f.render(List.of(new ChatFormat.Turn("user", "{role}{content}"))))
                .isEqualTo("<user>{role}{content}</user><assistant>");
        assertThatThrownBy(() -> new ChatFormat("{role} only", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChatFormat("{content}", "x".repeat(1001)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void savedWithTheModelAndLoadedBack(@TempDir Path dir) throws IOException {
        ChatFormat custom = new ChatFormat("{role}> {content}|", "assistant> ");
        try (NDManager m = NDManager.newBaseManager()) {
            CharTokenizer tok = CharTokenizer.fit(List.of("0123456789+="));
            Gpt gpt = Gpt.initialize(new GptConfig(1, 16, 2, 8, tok.vocabSize()), 1, m);
            new LanguageModel(gpt, tok, custom).save(dir.resolve("custom"));
            new LanguageModel(gpt, tok).save(dir.resolve("default"));
            try (LanguageModel loaded = LanguageModel.load(dir.resolve("custom"), m)) {
                assertThat(loaded.chatFormat()).isEqualTo(custom);
                assertThat(loaded.chatFormat().render(CHAT)).isEqualTo("system> Add.|user> 2+3|assistant> ");
            }
            try (LanguageModel loaded = LanguageModel.load(dir.resolve("default"), m)) {
                assertThat(loaded.chatFormat()).isEqualTo(ChatFormat.DEFAULT);
            }

            // model.json written before chat templates existed: the default
            Path file = dir.resolve("default").resolve(LanguageModel.MODEL_JSON);
            JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            o.remove("chat_template");
            Files.writeString(file, o.toString(), StandardCharsets.UTF_8);
            try (LanguageModel loaded = LanguageModel.load(dir.resolve("default"), m)) {
                assertThat(loaded.chatFormat()).isEqualTo(ChatFormat.DEFAULT);
            }

            for (String bad : new String[] {"\"x\"", "{\"message\":\"no placeholder\",\"assistant_prefix\":\"\"}",
                    "{\"message\":\"{content}\"}", "{\"message\":\"{content}\",\"assistant_prefix\":\"\",\"x\":1}"}) {
                o.add("chat_template", JsonParser.parseString(bad));
                Files.writeString(file, o.toString(), StandardCharsets.UTF_8);
                assertThatThrownBy(() -> LanguageModel.load(dir.resolve("default"), m)).as(bad)
                        .isInstanceOf(IOException.class).hasMessageContaining("chat_template");
            }
        }
    }
}
