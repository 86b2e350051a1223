package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * jinjava renders the templates as transformers' jinja2 setup does: every expected text in
 * {@code hf/chat-templates.json} was rendered by Python's jinja2 ({@code tools/hf-reference/chat_templates.py}).
 */
class ChatTemplateTest {

    private static List<JsonObject> cases() throws IOException {
        try (Reader r = new InputStreamReader(ChatTemplateTest.class.getResourceAsStream("/hf/chat-templates.json"),
                StandardCharsets.UTF_8)) {
            List<JsonObject> out = new ArrayList<>();
            for (JsonElement e : JsonParser.parseReader(r).getAsJsonArray()) {
                out.add(e.getAsJsonObject());
            }
            return out;
        }
    }

    private static String stringOrNull(JsonObject c, String key) {
        return c.get(key).isJsonNull() ? null : c.get(key).getAsString();
    }

    private static List<ChatTemplate.Message> messages(JsonObject c) {
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (JsonElement m : c.getAsJsonArray("messages")) {
            out.add(new ChatTemplate.Message(m.getAsJsonObject().get("role").getAsString(),
                    m.getAsJsonObject().get("content").getAsString()));
        }
        return out;
    }

    @Test
    void rendersAsJinja2Does() throws IOException {
        List<JsonObject> cases = cases();
        assertTrue(cases.size() >= 12);
        for (JsonObject c : cases) {
            ChatTemplate t = new ChatTemplate(c.get("template").getAsString(), stringOrNull(c, "bos_token"),
                    stringOrNull(c, "eos_token"));
            String label = c.get("name").getAsString() + " " + c.getAsJsonArray("messages").size() + " turns, generation "
                    + c.get("add_generation_prompt").getAsBoolean();
            if (c.has("error")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> t.render(messages(c), c.get("add_generation_prompt").getAsBoolean()), label);
                assertTrue(e.getMessage().contains(c.get("error").getAsString()), e.getMessage());
            } else {
                assertEquals(c.get("expected").getAsString(), t.render(messages(c),
                        c.get("add_generation_prompt").getAsBoolean()), label);
            }
        }
    }

    @Test
    void aTemplateThatCannotRenderIsRefusedAtImport() {
        ChatTemplate broken = new ChatTemplate("{% for m in messages %}{{ m['content'] ", null, null);
        ModelFormatException e = assertThrows(ModelFormatException.class, broken::requireRenders);
        assertTrue(e.getMessage().contains("chat_template"), e.getMessage());
    }
}
