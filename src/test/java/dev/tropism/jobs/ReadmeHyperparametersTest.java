package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The README's hyperparameter tables say what {@code GET /v1/methods} serves: the same keys, defaults and
 * meanings, for GRPO, the reward model, the keys every flow method shares, each flow method's own keys and
 * each further language-model method's keys.
 * Both are written from one source ({@code hyperparameters.properties} and the config records); this test
 * catches a table that drifts from it.
 */
class ReadmeHyperparametersTest {

    private static final Properties DESCRIPTIONS = MethodsController.descriptions();

    /** A table row: its cells without backticks, after the key column(s). */
    private record Row(String defaultValue, String meaning) {
    }

    @Test
    void tablesMatchWhatMethodsServes() throws IOException {
        List<String> readme = Files.readAllLines(Path.of("README.md"));
        List<String> mismatches = new ArrayList<>();
        compare("grpo", table(readme, "## GRPO hyperparameters", 1), served(AlignmentMethod.GRPO), mismatches);
        compare("reward_model", table(readme, "## Reward-model hyperparameters", 1), served(AlignmentMethod.REWARD_MODEL),
                mismatches);
        Map<String, Row> shared = table(readme, "Flow alignment methods (`method.<type>`", 1);
        Map<String, Row> own = table(readme, "Some methods have keys of their own", 2);
        for (AlignmentMethod m : AlignmentMethod.values()) {
            if (m.flowType() == null) {
                continue;
            }
            Map<String, Row> documented = new LinkedHashMap<>(shared);
            own.forEach((k, v) -> {
                if (k.startsWith(m.wireName() + "/")) {
                    documented.put(k.substring(k.indexOf('/') + 1), v);
                }
            });
            compare(m.wireName(), documented, served(m), mismatches);
        }
        Map<String, Row> lm = table(readme, "Each method's keys, given in `method.<type>`", 2);
        for (AlignmentMethod m : AlignmentMethod.values()) {
            if (m.lmType() == null) {
                continue;
            }
            Map<String, Row> documented = new LinkedHashMap<>();
            lm.forEach((k, v) -> {
                if (k.startsWith(m.wireName() + "/")) {
                    documented.put(k.substring(k.indexOf('/') + 1), v);
                }
            });
            compare(m.wireName(), documented, served(m), mismatches);
        }
        assertThat(mismatches).as("README tables against GET /v1/methods").isEmpty();
    }

    private static Map<String, MethodsController.Hyperparameter> served(AlignmentMethod m) {
        Map<String, MethodsController.Hyperparameter> out = new LinkedHashMap<>();
        for (MethodsController.Hyperparameter h : MethodsController.hyperparameters(m, DESCRIPTIONS)) {
            out.put(h.key(), h);
        }
        return out;
    }

    private static void compare(String method, Map<String, Row> documented,
            Map<String, MethodsController.Hyperparameter> served, List<String> mismatches) {
        if (!documented.keySet().equals(served.keySet())) {
            mismatches.add(method + ": README keys " + documented.keySet() + ", served " + served.keySet());
            return;
        }
        documented.forEach((key, row) -> {
            MethodsController.Hyperparameter h = served.get(key);
            if (!sameValue(row.defaultValue(), h.defaultValue())) {
                mismatches.add(method + "." + key + ": README default " + row.defaultValue() + ", served "
                        + h.defaultValue());
            }
            // Backticks are Markdown code formatting, which the served plain text does not carry.
            if (!row.meaning().replace("`", "").equals(h.description())) {
                mismatches.add(method + "." + key + ": README says '" + row.meaning() + "', served '" + h.description()
                        + "'");
            }
        });
    }

    private static boolean sameValue(String documented, Object served) {
        if (served instanceof Number n) {
            try {
                return Double.parseDouble(documented) == n.doubleValue();
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return documented.equals(String.valueOf(served));
    }

    /**
     * The first Markdown table after the line starting with {@code marker}: key (the first {@code keyColumns}
     * cells joined by '/') to its default and meaning.
     */
    private static Map<String, Row> table(List<String> lines, String marker, int keyColumns) {
        int i = 0;
        while (i < lines.size() && !lines.get(i).startsWith(marker)) {
            i++;
        }
        assertThat(i).as("README line starting with %s", marker).isLessThan(lines.size());
        while (i < lines.size() && !lines.get(i).startsWith("|")) {
            i++;
        }
        Map<String, Row> rows = new LinkedHashMap<>();
        for (i += 2; i < lines.size() && lines.get(i).startsWith("|"); i++) { // skip the header and the rule
            String[] cells = lines.get(i).split("\\|", -1);
            List<String> c = new ArrayList<>();
            for (int j = 1; j < cells.length - 1; j++) {
                c.add(cells[j].trim());
            }
            String key = String.join("/", c.subList(0, keyColumns)).replace("`", "");
            rows.put(key, new Row(c.get(keyColumns).replace("`", ""), String.join("|", c.subList(keyColumns + 1, c.size()))));
        }
        return rows;
    }
}
