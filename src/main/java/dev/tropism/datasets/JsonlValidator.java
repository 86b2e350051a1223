package dev.tropism.datasets;

import dev.tropism.engine.align.SftRun;
import dev.tropism.web.Violation;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks JSONL for a purpose line by line while the bytes stream through it (to storage): each
 * non-blank line must be a JSON object with the purpose's required string fields. Collects the first
 * {@value #MAX_ERRORS} bad lines (1-based), the line count and the fields present on every line.
 */
final class JsonlValidator extends FilterInputStream {

    static final int MAX_ERRORS = 20;

    private final JsonMapper json;
    private final DatasetPurpose purpose;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final List<Violation> errors = new ArrayList<>();
    private long lineNumber;
    private long records;
    private Set<String> commonFields;
    private boolean finished;

    JsonlValidator(InputStream in, JsonMapper json, DatasetPurpose purpose) {
        super(in);
        this.json = json;
        this.purpose = purpose;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
            finish();
        } else {
            accept((byte) b);
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n < 0) {
            finish();
        }
        for (int i = 0; i < n; i++) {
            accept(buf[off + i]);
        }
        return n;
    }

    @Override
    public long skip(long n) {
        throw new UnsupportedOperationException("validation needs every byte");
    }

    private void accept(byte b) {
        if (b == '\n') {
            endLine();
        } else {
            line.write(b);
        }
    }

    private void finish() {
        if (!finished) {
            finished = true;
            if (line.size() > 0) {
                endLine();
            }
        }
    }

    private void endLine() {
        lineNumber++;
        byte[] bytes = line.toByteArray();
        line.reset();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            error("is not valid UTF-8");
            return;
        }
        if (text.isBlank()) {
            return;
        }
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (JacksonException e) {
            error("is not valid JSON: " + e.getOriginalMessage());
            return;
        }
        if (node == null || !node.isObject()) {
            error("must be a JSON object");
            return;
        }
        String problem = purpose == DatasetPurpose.SFT ? sftProblem(node) : missingField(node, requiredFields(purpose));
        if (problem != null) {
            error(problem);
            return;
        }
        records++;
        Set<String> names = new LinkedHashSet<>(node.propertyNames());
        if (commonFields == null) {
            commonFields = names;
        } else {
            commonFields.retainAll(names);
        }
    }

    private String missingField(JsonNode node, List<String> fields) {
        for (String field : fields) {
            JsonNode v = node.get(field);
            if (v == null || !v.isString()) {
                return "needs a string field '" + field + "'";
            }
            if (purpose != DatasetPurpose.PREFERENCES && v.asString().isEmpty()) {
                return "field '" + field + "' must not be empty";
            }
        }
        return null;
    }

    /**
     * What is wrong with an {@code sft} line, or null: it is {@code {"prompt", "completion"}} (non-empty strings) or
     * {@code {"messages": [...]}} of {@code {"role", "content"}} objects with known roles, non-empty contents and at
     * least one assistant turn, and not both.
     */
    private String sftProblem(JsonNode node) {
        JsonNode messages = node.get("messages");
        boolean pair = node.has("prompt") || node.has("completion");
        if (messages == null) {
            return pair ? missingField(node, List.of("prompt", "completion"))
                    : "needs either 'prompt' and 'completion' or 'messages'";
        }
        if (pair) {
            return "has both 'messages' and 'prompt'/'completion'; use one form";
        }
        if (!messages.isArray() || messages.size() == 0) {
            return "field 'messages' must be a non-empty array";
        }
        boolean assistant = false;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject() || m.get("role") == null || !m.get("role").isString() || m.get("content") == null
                    || !m.get("content").isString()) {
                return at + " must be an object with string fields 'role' and 'content'";
            }
            String role = m.get("role").asString();
            if (!SftRun.ROLES.contains(role)) {
                return at + " has unknown role '" + role + "'; roles are " + String.join(", ", SftRun.ROLES);
            }
            if (m.get("content").asString().isEmpty()) {
                return at + " (" + role + ") has empty content";
            }
            assistant |= role.equals("assistant");
        }
        return assistant ? null : "has no assistant turn in 'messages': SFT trains on assistant turns only";
    }

    static List<String> requiredFields(DatasetPurpose purpose) {
        switch (purpose) {
            case CORPUS:
                return List.of("text");
            case PROMPTS:
                return List.of("prompt");
            case PREFERENCES:
                return List.of("prompt", "chosen", "rejected");
            default:
                throw new IllegalArgumentException(String.valueOf(purpose));
        }
    }

    private void error(String reason) {
        if (errors.size() < MAX_ERRORS) {
            errors.add(new Violation("/file/line/" + lineNumber, "line " + lineNumber + " " + reason));
        } else {
            truncated = true;
        }
    }

    private boolean truncated;

    List<Violation> errors() {
        return errors;
    }

    boolean truncated() {
        return truncated;
    }

    long records() {
        return records;
    }

    Set<String> fields() {
        return commonFields == null ? Set.of() : commonFields;
    }
}
