package dev.tropism.rewards;

import dev.tropism.web.JsonPointers;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Answers {@link RewardModelUsers} from the team's stored specs (their grader JSON, as stored: a model id is never
 * sealed) and its aliases. A spec's grader uses a model when any object in it, at any depth, has a {@code model} field
 * naming it: the {@code reward_model} and image-classifier graders, also inside {@code multi}, {@code gated} and
 * {@code shaped} ones. Matching any {@code model} field, not only those of known grader types, errs on the side of
 * keeping a checkpoint.
 */
@Component
class RewardModelUsage implements RewardModelUsers {

    private final JdbcClient jdbc;
    private final RewardAliasStore aliases;
    private final JsonMapper json;

    RewardModelUsage(JdbcClient jdbc, RewardAliasStore aliases, JsonMapper json) {
        this.jdbc = jdbc;
        this.aliases = aliases;
        this.json = json;
    }

    private record SpecRow(String id, String name, String grader) {
    }

    @Override
    public Optional<String> referencing(String teamId, Collection<String> modelIds) {
        if (modelIds.isEmpty()) {
            return Optional.empty();
        }
        Set<String> ids = Set.copyOf(modelIds);
        List<SpecRow> specs = jdbc.sql("SELECT id, name, grader FROM reward_specs WHERE team_id = ? ORDER BY created_at, id")
                .param(teamId).query((rs, n) -> new SpecRow(rs.getString("id"), rs.getString("name"),
                        rs.getString("grader"))).list();
        for (SpecRow s : specs) {
            if (ids.stream().noneMatch(s.grader()::contains)) {
                continue; // the cheap test first: most specs name no model at all
            }
            Optional<Use> use = modelField(json.readTree(s.grader()), "", ids);
            if (use.isPresent()) {
                return Optional.of("reward spec " + s.id() + " (" + s.name() + ") grades with model " + use.get().modelId()
                        + " at " + use.get().pointer());
            }
        }
        Map<String, List<String>> named = aliases.namesByTarget(teamId, ids);
        return named.entrySet().stream().findFirst()
                .map(e -> "alias " + e.getValue().get(0) + " points at model " + e.getKey());
    }

    /** A {@code model} field naming one of the models, and its JSON pointer in the grader. */
    record Use(String modelId, String pointer) {
    }

    /** The first {@code model} field under {@code node} (at {@code pointer}) naming one of {@code ids}, depth first. */
    static Optional<Use> modelField(JsonNode node, String pointer, Set<String> ids) {
        if (node == null) {
            return Optional.empty();
        }
        if (node.isObject()) {
            JsonNode model = node.get("model");
            if (model != null && model.isString() && ids.contains(model.asString())) {
                return Optional.of(new Use(model.asString(), pointer + "/model"));
            }
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                Optional<Use> inner = modelField(e.getValue(), JsonPointers.child(pointer, e.getKey()), ids);
                if (inner.isPresent()) {
                    return inner;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                Optional<Use> inner = modelField(node.get(i), pointer + "/" + i, ids);
                if (inner.isPresent()) {
                    return inner;
                }
            }
        }
        return Optional.empty();
    }
}
