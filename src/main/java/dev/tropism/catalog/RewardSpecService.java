package dev.tropism.catalog;

import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.ScoringContext;
import dev.tropism.engine.RewardResult;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reward specs: validated, compiled graders owned by a team. */
@Service
class RewardSpecService implements RewardSpecCatalog {

    /** A reward spec as the API shows it. */
    record RewardSpecView(String id, String object, String name, JsonNode grader, Set<String> itemFields,
            Instant createdAt) {
    }

    /** The outcome of validating a grader. */
    record Validation(boolean valid, Set<String> itemFields) {
    }

    private static final String POINTER = "/grader";

    private final RewardSpecRepository specs;
    private final JsonMapper json;
    private final GraderCompiler compiler;
    private final WebhookSecrets secrets;
    /** Specs never change once created, so their compiled graders are cached by id. */
    private final Map<String, Grader> compiled = new ConcurrentHashMap<>();

    /** {@code configuredTypes}: grader types that are Spring beans (they need configured dependencies). */
    RewardSpecService(RewardSpecRepository specs, JsonMapper json, List<GraderType> configuredTypes,
            WebhookSecrets secrets) {
        this.specs = specs;
        this.json = json;
        this.compiler = GraderCompiler.standard(configuredTypes);
        this.secrets = secrets;
    }

    /** Validates without storing; 422 listing every violation when invalid. */
    Validation validate(Caller caller, JsonNode grader) {
        GraderCompiler.Result r = compileOrThrow(caller, grader);
        return new Validation(true, r.itemFields());
    }

    @Transactional
    RewardSpecView create(Caller caller, String name, JsonNode grader) {
        String teamId = caller.requireTeam();
        GraderCompiler.Result r = compileOrThrow(caller, grader);
        RewardSpecEntity e = specs.save(new RewardSpecEntity(Ids.newId("rs_"), teamId, name,
                json.writeValueAsString(secrets.seal(grader)), json.writeValueAsString(r.itemFields()),
                Timestamps.now()));
        compiled.put(e.id(), r.grader());
        return view(e);
    }

    @Transactional(readOnly = true)
    RewardSpecView view(Caller caller, String id) {
        return view(find(caller, id));
    }

    @Transactional(readOnly = true)
    ListResponse<RewardSpecView> list(Caller caller, PageParams page) {
        return page.toResponse(specs.findPage(caller.requireTeam(), page), this::view);
    }

    /** Scores {@code outputs} as one group of samples answering {@code item}, without a model. */
    List<RewardResult> run(Caller caller, String id, Map<String, Object> item, List<String> outputs) {
        List<Map<String, Object>> items = java.util.Collections.nCopies(outputs.size(), item);
        return RewardFunction.scoreSafely(rewardFunction(caller, id),
                new RewardBatch(items, outputs, outputs.size(), ScoringContext.NONE));
    }

    @Override
    @Transactional(readOnly = true)
    public RewardSpecInfo get(Caller caller, String rewardSpecId) {
        RewardSpecEntity e = find(caller, rewardSpecId);
        return new RewardSpecInfo(e.id(), e.teamId(), e.name(), itemFields(e));
    }

    @Override
    @Transactional(readOnly = true)
    public RewardFunction rewardFunction(Caller caller, String rewardSpecId) {
        RewardSpecEntity e = find(caller, rewardSpecId);
        Grader g = compiled.get(e.id());
        if (g == null) {
            GraderCompiler.Result r;
            try {
                r = compiler.compileStored(secrets.open(json.readTree(e.grader())), POINTER, e.teamId());
            } catch (RuntimeException ex) {
                // e.g. a secret sealed with a key the service no longer has
                throw ApiException.conflict("reward_spec_unusable", "reward spec " + e.id() + " cannot be loaded: "
                        + ex.getMessage());
            }
            if (!r.valid()) {
                throw ApiException.conflict("reward_spec_unusable", "reward spec " + e.id()
                        + " no longer compiles on this server: " + r.violations());
            }
            g = r.grader();
            compiled.putIfAbsent(e.id(), g);
        }
        return new GraderRewardFunction(g);
    }

    private GraderCompiler.Result compileOrThrow(Caller caller, JsonNode grader) {
        GraderCompiler.Result r = compiler.compile(grader, POINTER, caller.requireTeam());
        if (!r.valid()) {
            throw ApiException.invalid(r.violations());
        }
        return r;
    }

    private RewardSpecEntity find(Caller caller, String id) {
        return specs.findByTeamIdAndId(caller.requireTeam(), id)
                .orElseThrow(() -> ApiException.notFound("reward spec", id));
    }

    private Set<String> itemFields(RewardSpecEntity e) {
        return new LinkedHashSet<>(json.readValue(e.itemFields(), new TypeReference<List<String>>() { }));
    }

    private RewardSpecView view(RewardSpecEntity e) {
        return new RewardSpecView(e.id(), "reward_spec", e.name(), secrets.redact(json.readTree(e.grader())),
                itemFields(e), e.createdAt());
    }
}
