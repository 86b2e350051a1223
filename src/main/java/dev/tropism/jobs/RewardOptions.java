package dev.tropism.jobs;

import dev.tropism.web.Violation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A job's {@code reward_options}: {@code normalization} ({@code group} | {@code batch} | {@code none}:
 * how rewards are scaled into advantages; it sets the method's {@code scale_rewards}) and
 * {@code hacking_monitor} (a {@link HackingMonitorConfig}; absent = no monitor).
 *
 * @param normalization null when not given (the method's own default applies)
 * @param hackingMonitor null when not given
 */
public record RewardOptions(String normalization, HackingMonitorConfig hackingMonitor) {

    public static final RewardOptions NONE = new RewardOptions(null, null);
    static final List<String> NORMALIZATIONS = List.of("group", "batch", "none");

    /** Parses {@code node} (null or an object); every problem is added to {@code violations}. */
    public static RewardOptions parse(JsonNode node, String pointer, List<Violation> violations) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return NONE;
        }
        if (!node.isObject()) {
            violations.add(new Violation(pointer, "must be an object"));
            return NONE;
        }
        for (String key : node.propertyNames()) {
            if (!key.equals("normalization") && !key.equals("hacking_monitor")) {
                violations.add(new Violation(pointer + "/" + key, "unknown field; known: normalization, hacking_monitor"));
            }
        }
        String normalization = null;
        JsonNode n = node.get("normalization");
        if (n != null && !n.isNull()) {
            if (n.isString() && NORMALIZATIONS.contains(n.asString())) {
                normalization = n.asString();
            } else {
                violations.add(new Violation(pointer + "/normalization", "must be one of " + String.join(", ", NORMALIZATIONS)));
            }
        }
        HackingMonitorConfig monitor = null;
        JsonNode h = node.get("hacking_monitor");
        String hp = pointer + "/hacking_monitor";
        if (h != null && !h.isNull()) {
            if (!h.isObject()) {
                violations.add(new Violation(hp, "must be an object"));
            } else {
                Map<String, JsonNode> given = new LinkedHashMap<>();
                h.properties().forEach(e -> given.put(e.getKey(), e.getValue()));
                List<String> known = HyperParameters.keys(HackingMonitorConfig.class);
                for (String key : given.keySet()) {
                    if (!known.contains(key)) {
                        violations.add(new Violation(hp + "/" + key, "unknown field; known: " + String.join(", ", known)));
                    }
                }
                monitor = HyperParameters.bind(HackingMonitorConfig.class, HackingMonitorConfig.DEFAULT, given, hp,
                        List.of(), violations);
            }
        }
        return new RewardOptions(normalization, monitor);
    }

    /** The stored form: every setting spelled out, defaults included; null when nothing was given. */
    Map<String, Object> toJson() {
        if (normalization == null && hackingMonitor == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (normalization != null) {
            out.put("normalization", normalization);
        }
        if (hackingMonitor != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("window", hackingMonitor.window());
            m.put("min_train_rise", hackingMonitor.minTrainRise());
            m.put("min_gold_drop", hackingMonitor.minGoldDrop());
            m.put("kl_bound", hackingMonitor.klBound());
            m.put("on_hacking", hackingMonitor.onHacking().name().toLowerCase(java.util.Locale.ROOT));
            out.put("hacking_monitor", m);
        }
        return out;
    }
}
