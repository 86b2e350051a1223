package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /** A JSON value as the Java value a caller would pass: maps, lists, strings, longs, doubles, booleans, null. */
    private static Object java(JsonElement e) {
        if (e.isJsonNull()) {
            return null;
        }
        if (e.isJsonObject()) {
            Map<String, Object> out = new LinkedHashMap<>();
            e.getAsJsonObject().entrySet().forEach(kv -> out.put(kv.getKey(), java(kv.getValue())));
            return out;
        }
        if (e.isJsonArray()) {
            List<Object> out = new ArrayList<>();
            e.getAsJsonArray().forEach(v -> out.add(java(v)));
            return out;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            String n = p.getAsString();
            return n.matches("-?\\d+") ? (Object) p.getAsLong() : (Object) p.getAsDouble();
        }
        return p.getAsString();
    }

    /**
     * Qwen3's real template (namespace with an expression argument, {@code set ns.x}, {@code messages[::-1]},
     * {@code startswith}/{@code split}/{@code lstrip}, {@code tojson} of tools, {@code enable_thinking}) and one small
     * template per construct jinjava lacks, against jinja2's bytes ({@code tools/hf-reference/jinja2_golden.py}).
     */
    @Test
    void rendersQwen3AndEachJinja2ConstructAsJinja2Does() throws IOException {
        JsonObject golden;
        try (Reader r = new InputStreamReader(ChatTemplateTest.class.getResourceAsStream("/hf/jinja2-golden.json"),
                StandardCharsets.UTF_8)) {
            golden = JsonParser.parseReader(r).getAsJsonObject();
        }
        JsonObject templates = golden.getAsJsonObject("templates");
        int qwen3 = 0;
        for (JsonElement e : golden.getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("template").getAsString();
            JsonObject t = templates.getAsJsonObject(name);
            ChatTemplate template = new ChatTemplate(t.get("template").getAsString(), stringOrNull(t, "bos_token"),
                    stringOrNull(t, "eos_token"));
            @SuppressWarnings("unchecked")
            Map<String, Object> variables = c.has("variables") ? (Map<String, Object>) java(c.get("variables"))
                    : Map.of();
            boolean generation = c.get("add_generation_prompt").getAsBoolean();
            assertEquals(c.get("expected").getAsString(), template.render(messages(c), generation, variables),
                    name + " " + c.getAsJsonArray("messages").size() + " turns, generation " + generation + " "
                    + variables.keySet());
            qwen3 += name.equals("qwen3") ? 1 : 0;
        }
        assertTrue(qwen3 >= 10, "Qwen3 cases: " + qwen3);
    }

    @Test
    void aTemplateThatCannotRenderIsRefusedAtImport() {
        ChatTemplate broken = new ChatTemplate("{% for m in messages %}{{ m['content'] ", null, null);
        ModelFormatException e = assertThrows(ModelFormatException.class, broken::requireRenders);
        assertTrue(e.getMessage().contains("chat_template"), e.getMessage());
    }
}
