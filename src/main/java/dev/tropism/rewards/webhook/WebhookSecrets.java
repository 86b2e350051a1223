package dev.tropism.rewards.webhook;

import dev.tropism.web.JsonPointers;
import java.util.function.BiFunction;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Keeps {@code webhook} graders' {@code secret} out of the database and out of API answers. A spec is
 * {@link #seal sealed} before it is stored (each secret becomes {@code {"encrypted":"v1:…"}}, see
 * {@link SecretCipher}), {@link #open opened} in memory only to compile it, and {@link #redact redacted}
 * ({@value #REDACTED}) whenever it is shown.
 *
 * <p>Secrets are found by shape, wherever graders nest: every JSON object whose {@code type} is
 * {@code webhook} and that has a {@code secret}.
 */
@Component
public class WebhookSecrets {

    /** What the API shows instead of a secret. */
    static final String REDACTED = "********";
    /** The field of the object that replaces a secret in the stored spec. */
    static final String ENCRYPTED = "encrypted";

    private final SecretCipher cipher;

    public WebhookSecrets(SecretCipher cipher) {
        this.cipher = cipher;
    }

    /** A copy of {@code grader} (as validated) with every secret encrypted. */
    public JsonNode seal(JsonNode grader) {
        return mapSecrets(grader, "/grader", (secret, pointer) -> secret.isString()
                ? JsonNodeFactory.instance.objectNode().put(ENCRYPTED, cipher.encrypt(secret.asString()))
                : secret);
    }

    /** A copy of a stored spec with every secret decrypted, ready to compile; never store or show it. */
    public JsonNode open(JsonNode stored) {
        return mapSecrets(stored, "/grader", (secret, pointer) -> {
            JsonNode sealed = secret.get(ENCRYPTED);
            if (sealed == null || !sealed.isString()) {
                return secret;
            }
            try {
                return JsonNodeFactory.instance.stringNode(cipher.decrypt(sealed.asString()));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("The secret at " + pointer + " cannot be decrypted: " + e.getMessage());
            }
        });
    }

    /** A copy of a stored spec with every secret shown as {@value #REDACTED}. */
    public JsonNode redact(JsonNode stored) {
        return mapSecrets(stored, "/grader", (secret, pointer) -> JsonNodeFactory.instance.stringNode(REDACTED));
    }

    private static JsonNode mapSecrets(JsonNode root, String pointer, BiFunction<JsonNode, String, JsonNode> f) {
        JsonNode copy = root.deepCopy();
        walk(copy, pointer, f);
        return copy;
    }

    private static void walk(JsonNode node, String pointer, BiFunction<JsonNode, String, JsonNode> f) {
        if (node.isObject()) {
            ObjectNode obj = (ObjectNode) node;
            JsonNode type = obj.get("type");
            JsonNode secret = obj.get(WebhookGrader.SECRET);
            if (type != null && type.isString() && WebhookGrader.TYPE.equals(type.asString()) && secret != null
                    && !secret.isNull()) {
                obj.set(WebhookGrader.SECRET, f.apply(secret, pointer + "/" + WebhookGrader.SECRET));
            }
            for (String name : obj.propertyNames()) {
                if (!(name.equals(WebhookGrader.SECRET) && secret != null)) {
                    walk(obj.get(name), JsonPointers.child(pointer, name), f);
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), pointer + "/" + i, f);
            }
        }
    }
}
