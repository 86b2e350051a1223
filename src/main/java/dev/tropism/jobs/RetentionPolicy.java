package dev.tropism.jobs;

import dev.tropism.engine.MetricNames;
import dev.tropism.web.Violation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Which checkpoints of a job are kept ({@code retention} of {@code POST /v1/jobs}); after each new checkpoint the
 * others are deleted by {@link CheckpointRetention}. Whatever the policy, the latest checkpoint (the resume point) and
 * every checkpoint something still references are kept.
 *
 * @param keepLast the newest checkpoints kept, {@code >= 1}; default {@code tropism.retention.keep-last}
 * @param keepBest whether the checkpoint with the best {@code bestMetric} is kept too (default true)
 * @param bestMetric the evaluation metric that ranks checkpoints ({@code eval/...}); default the method's main one
 *        ({@link #defaultMetric}). Only checkpoints saved at a step that was evaluated carry it, so let
 *        {@code eval_interval} divide {@code tropism.jobs.checkpoint-interval}.
 * @param mode {@code max} or {@code min}: whether a higher or a lower {@code bestMetric} is better; default the
 *        default metric's own, else {@code min} for a metric named {@code .../loss} and {@code max} for others
 */
public record RetentionPolicy(int keepLast, boolean keepBest, String bestMetric, Mode mode) {

    /** Whether a higher or a lower value of the ranking metric is better. */
    public enum Mode {
        MAX, MIN;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether {@code a} is strictly better than {@code b}. */
        boolean better(double a, double b) {
            return this == MAX ? a > b : a < b;
        }
    }

    /** A ranking metric and its natural direction. */
    record Metric(String name, Mode mode) {
    }

    static final String KEEP_LAST = "keep_last";
    static final String KEEP_BEST = "keep_best";
    static final String BEST_METRIC = "best_metric";
    static final String MODE = "mode";
    /** The namespace of evaluation metrics ({@link MetricNames}). */
    private static final String EVAL_NAMESPACE = "eval/";

    public RetentionPolicy {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keep_last must be >= 1, got " + keepLast);
        }
    }

    /**
     * The main evaluation metric of a method: the reward of its greedy or sampled evaluations for the methods that
     * optimize a reward spec, the held-out pair accuracy of a reward model, and the held-out loss of SFT, DPO and
     * pretraining (null {@code alignment}).
     */
    static Metric defaultMetric(AlignmentMethod alignment) {
        if (alignment == null || alignment == AlignmentMethod.SFT || alignment == AlignmentMethod.DPO) {
            return new Metric(MetricNames.EVAL_LOSS, Mode.MIN);
        }
        if (alignment == AlignmentMethod.REWARD_MODEL) {
            return new Metric(MetricNames.EVAL_ACCURACY, Mode.MAX);
        }
        return new Metric(MetricNames.EVAL_REWARD_MEAN, Mode.MAX);
    }

    /**
     * Parses {@code retention} of a job of {@code alignment} (null: pretraining); absent or null is
     * {@code defaultKeepLast} with the other defaults, or no policy (every checkpoint kept) when that is null too.
     * Violations name their JSON pointers; the result is then null.
     */
    static RetentionPolicy parse(JsonNode node, String pointer, AlignmentMethod alignment, Integer defaultKeepLast,
            List<Violation> violations) {
        Metric metric = defaultMetric(alignment);
        if (node == null || node.isNull() || node.isMissingNode()) {
            return defaultKeepLast == null ? null : new RetentionPolicy(defaultKeepLast, true, metric.name(), metric.mode());
        }
        if (!node.isObject()) {
            violations.add(new Violation(pointer, "must be an object such as {\"keep_last\": 3, \"keep_best\": true,"
                    + " \"best_metric\": \"" + metric.name() + "\", \"mode\": \"" + metric.mode().wire() + "\"}"));
            return null;
        }
        int before = violations.size();
        Integer keepLast = defaultKeepLast;
        boolean keepBest = true;
        String bestMetric = null;
        Mode mode = null;
        for (String key : node.propertyNames()) {
            JsonNode value = node.get(key);
            String at = pointer + "/" + key;
            switch (key) {
                case KEEP_LAST -> {
                    if (value.isIntegralNumber() && value.canConvertToInt() && value.asInt() >= 1) {
                        keepLast = value.asInt();
                    } else {
                        violations.add(new Violation(at, "must be a whole number >= 1 (the newest checkpoints kept)"));
                    }
                }
                case KEEP_BEST -> {
                    if (value.isBoolean()) {
                        keepBest = value.booleanValue();
                    } else {
                        violations.add(new Violation(at, "must be true or false"));
                    }
                }
                case BEST_METRIC -> {
                    if (value.isString() && value.stringValue().startsWith(EVAL_NAMESPACE)
                            && value.stringValue().length() > EVAL_NAMESPACE.length()
                            && value.stringValue().length() <= 200) {
                        bestMetric = value.stringValue();
                    } else {
                        violations.add(new Violation(at, "must name an evaluation metric such as \"" + metric.name()
                                + "\" (starting with " + EVAL_NAMESPACE + ")"));
                    }
                }
                case MODE -> {
                    if (value.isString() && (value.stringValue().equals("max") || value.stringValue().equals("min"))) {
                        mode = Mode.valueOf(value.stringValue().toUpperCase(Locale.ROOT));
                    } else {
                        violations.add(new Violation(at, "must be \"max\" or \"min\""));
                    }
                }
                default -> violations.add(new Violation(at, "unknown retention option; expected keep_last, keep_best,"
                        + " best_metric or mode"));
            }
        }
        if (keepLast == null && violations.size() == before) {
            violations.add(new Violation(pointer + "/" + KEEP_LAST, "is required: no default is configured"
                    + " (tropism.retention.keep-last)"));
        }
        if (violations.size() > before) {
            return null;
        }
        if (bestMetric == null) {
            bestMetric = metric.name();
            mode = mode == null ? metric.mode() : mode;
        } else if (mode == null) {
            mode = bestMetric.equals(metric.name()) ? metric.mode()
                    : bestMetric.endsWith("loss") ? Mode.MIN : Mode.MAX;
        }
        return new RetentionPolicy(keepLast, keepBest, bestMetric, mode);
    }

    /** The stored (and shown) JSON: every field spelled out. */
    String toJson(JsonMapper json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(KEEP_LAST, keepLast);
        out.put(KEEP_BEST, keepBest);
        out.put(BEST_METRIC, bestMetric);
        out.put(MODE, mode.wire());
        return json.writeValueAsString(out);
    }

    /** The policy of a stored job ({@code retention} column text); null when it keeps every checkpoint. */
    static RetentionPolicy of(JobRecord job, JsonMapper json) {
        if (job.retention() == null) {
            return null;
        }
        JsonNode n = json.readTree(job.retention());
        return new RetentionPolicy(n.get(KEEP_LAST).asInt(), n.path(KEEP_BEST).asBoolean(true),
                n.get(BEST_METRIC).asString(), Mode.valueOf(n.get(MODE).asString().toUpperCase(Locale.ROOT)));
    }
}
