package dev.tropism.rewards;

import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One sample being graded: its dataset item and output text, with the output parsed as JSON on first
 * use ({@code {{sample.output_json.<path>}}} and {@code json} graders share the parse), and for image
 * samples (flow-matching models) the image. Confined to the thread grading its batch.
 */
public final class Sample {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Map<String, Object> item;
    private final String outputText;
    /** [0, 1] pixels, row-major, {@code imageSide}², or null for a text sample. */
    private final float[] image;
    private final int imageSide;
    private JsonNode json;
    private String jsonError;

    public Sample(Map<String, Object> item, String outputText) {
        this(item, outputText, null, 0);
    }

    public Sample(Map<String, Object> item, String outputText, float[] image, int imageSide) {
        this.item = item == null ? Map.of() : item;
        this.outputText = outputText == null ? "" : outputText;
        this.image = image;
        this.imageSide = imageSide;
    }

    public Map<String, Object> item() {
        return item;
    }

    public String outputText() {
        return outputText;
    }

    /** The image's [0, 1] pixels (shared, not copied: read only), or null for a text sample. */
    public float[] image() {
        return image;
    }

    /** Width and height of {@link #image()}. */
    public int imageSide() {
        return imageSide;
    }

    /** The output parsed as JSON; a {@code json_parse} error when it is not JSON. */
    public JsonNode outputJson() throws GradingException {
        if (json == null && jsonError == null) {
            try {
                json = JSON.readTree(outputText);
                if (json == null || json.isMissingNode()) {
                    jsonError = "output is empty, not JSON";
                    json = null;
                }
            } catch (JacksonException e) {
                jsonError = "output is not JSON: " + e.getOriginalMessage();
            }
        }
        if (jsonError != null) {
            throw new GradingException(GradingException.JSON_PARSE, jsonError);
        }
        return json;
    }

    /** The same item with another output (a regex grader hands its capture to a nested grader). */
    Sample withOutput(String text) {
        return new Sample(item, text, image, imageSide);
    }
}
