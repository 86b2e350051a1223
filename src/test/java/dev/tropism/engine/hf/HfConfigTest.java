package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

class HfConfigTest {

    @Test
    void readsEachFamilyWithItsDefaults() throws Exception {
        HfConfig gpt2 = HfConfig.read(Fixtures.dir("gpt2"));
        assertEquals(Architecture.GPT2, gpt2.architecture());
        assertEquals(64, gpt2.intermediateSize()); // n_inner null → 4 · n_embd
        assertEquals(8, gpt2.headDim());
        assertEquals(Gelu.TANH, gpt2.gelu());
        assertTrue(gpt2.tieWordEmbeddings());
        assertEquals(16, gpt2.contextLength());

        HfConfig llama = HfConfig.read(Fixtures.dir("llama"));
        assertEquals(Architecture.LLAMA, llama.architecture());
        assertEquals(2, llama.kvGroups());
        assertEquals(2.0, llama.ropeLinearFactor());
        assertFalse(llama.attentionBias());
        assertFalse(llama.tieWordEmbeddings());
        assertNull(llama.gelu());

        HfConfig qwen = HfConfig.read(Fixtures.dir("qwen2"));
        assertTrue(qwen.attentionBias()); // q/k/v biases are Qwen2's, not a config field
        assertFalse(qwen.outputBias());
        assertEquals(1e6, qwen.ropeTheta());
        assertEquals(1.0, qwen.ropeLinearFactor());
    }

    private static JsonObject llama(String extra) {
        return JsonParser.parseString("{\"model_type\": \"llama\", \"hidden_size\": 16, \"num_attention_heads\": 4,"
                + " \"num_hidden_layers\": 1, \"intermediate_size\": 8, \"vocab_size\": 10" + extra + "}")
                .getAsJsonObject();
    }

    private static String refused(JsonObject c, String... mentions) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfConfig.parse(c));
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "'" + e.getMessage() + "' should mention '" + m + "'");
        }
        return e.getMessage();
    }

    @Test
    void refusesUnknownFamiliesAndRemoteCode() {
        refused(JsonParser.parseString("{\"model_type\": \"mistral\"}").getAsJsonObject(), "\"mistral\"",
                "not supported", "gpt2", "llama", "qwen2");
        refused(JsonParser.parseString("{\"hidden_size\": 8}").getAsJsonObject(), "model_type is missing");
        refused(llama(", \"auto_map\": {\"AutoModelForCausalLM\": \"modeling_x.X\"}"), "trust_remote_code");
    }

    @Test
    void acceptsOnlyNoneOrLinearRopeScaling() throws Exception {
        assertEquals(1.0, HfConfig.parse(llama(", \"rope_scaling\": null")).ropeLinearFactor());
        assertEquals(1.0, HfConfig.parse(llama(", \"rope_scaling\": {\"rope_type\": \"default\"}")).ropeLinearFactor());
        assertEquals(4.0, HfConfig.parse(llama(", \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 4}"))
                .ropeLinearFactor());
        for (String type : new String[] {"dynamic", "yarn", "llama3", "longrope"}) {
            refused(llama(", \"rope_scaling\": {\"type\": \"" + type + "\", \"factor\": 2}"), "rope_scaling", type,
                    "none or linear");
        }
        refused(llama(", \"rope_scaling\": {\"type\": \"linear\"}"), "factor");
    }

    @Test
    void refusesShapesAndOptionsItCannotRun() {
        refused(llama(", \"num_key_value_heads\": 3"), "multiple of num_key_value_heads");
        refused(llama(", \"hidden_act\": \"gelu\""), "hidden_act");
        refused(llama(", \"vocab_size\": -5"), "vocab_size", "positive integer");
        refused(llama(", \"hidden_size\": 18"), "divisible");
        refused(JsonParser.parseString("{\"model_type\": \"qwen2\", \"use_sliding_window\": true}").getAsJsonObject(),
                "use_sliding_window");
        refused(JsonParser.parseString("{\"model_type\": \"gpt2\", \"activation_function\": \"relu\"}")
                .getAsJsonObject(), "activation_function", "relu");
        refused(llama(", \"rms_norm_eps\": \"small\""), "rms_norm_eps");
    }

    @Test
    void honoursAnExplicitHeadDim() throws Exception {
        HfConfig c = HfConfig.parse(llama(", \"head_dim\": 8"));
        assertEquals(8, c.headDim()); // not 16 / 4
    }
}
