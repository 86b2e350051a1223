package dev.tropism.rewards;

import dev.tropism.engine.GeneratedImages;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.ScoringContext;
import dev.tropism.rewards.webhook.WebhookSecrets;
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

    /** A reward spec as the API shows it; {@code aliases}: the team's aliases that point at it now. */
    record RewardSpecView(String id, String object, String name, JsonNode grader, Set<String> itemFields,
            List<String> aliases, Instant createdAt) {
    }

    /** The outcome of validating a grader. */
    record Validation(boolean valid, Set<String> itemFields) {
    }

    private static final String POINTER = "/grader";

    private final RewardSpecRepository specs;
    private final JsonMapper json;
    private final GraderCompiler compiler;
    private final WebhookSecrets secrets;
    private final RewardAliasStore aliases;
    /** Specs never change once created, so their compiled graders are cached by id. */
    private final Map<String, Grader> compiled = new ConcurrentHashMap<>();

    /** {@code configuredTypes}: grader types that are Spring beans (they need configured dependencies). */
    RewardSpecService(RewardSpecRepository specs, JsonMapper json, List<GraderType> configuredTypes,
            WebhookSecrets secrets, RewardAliasStore aliases) {
        this.specs = specs;
        this.aliases = aliases;
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
        return view(e, List.of());
    }

    @Transactional(readOnly = true)
    RewardSpecView view(Caller caller, String id) {
        RewardSpecEntity e = find(caller, id);
        return view(e, aliases.namesByTarget(e.teamId(), List.of(e.id())).getOrDefault(e.id(), List.of()));
    }

    @Transactional(readOnly = true)
    ListResponse<RewardSpecView> list(Caller caller, PageParams page) {
        String teamId = caller.requireTeam();
        List<RewardSpecEntity> rows = specs.findPage(teamId, page);
        Map<String, List<String>> names = aliases.namesByTarget(teamId, rows.stream().map(RewardSpecEntity::id).toList());
        return page.toResponse(rows, e -> view(e, names.getOrDefault(e.id(), List.of())));
    }

    /**
     * Scores {@code samples} as one group answering {@code item}, without a model: all texts
     * ({@code output_text}) or all images of one size ({@code image_b64}, see {@link SampleImages}).
     *
     * @param pointer where the samples are in the request: {@code /sample}, or {@code /samples/} followed
     *     by each index
     */
    List<RewardResult> run(Caller caller, String id, Map<String, Object> item,
            List<RewardSpecsController.Sample> samples, String pointer) {
        RewardFunction reward = rewardFunction(caller, id);
        List<Map<String, Object>> items = java.util.Collections.nCopies(samples.size(), item);
        List<String> outputs = new java.util.ArrayList<>();
        List<float[]> images = new java.util.ArrayList<>();
        int side = 0;
        for (int i = 0; i < samples.size(); i++) {
            RewardSpecsController.Sample s = samples.get(i);
            String at = pointer.endsWith("/") ? pointer + i : pointer;
            if ((s.outputText() == null) == (s.imageB64() == null)) {
                throw ApiException.invalid(at + "/output_text", "give exactly one of output_text or image_b64");
            }
            if (i > 0 && (s.imageB64() == null) != images.isEmpty()) {
                throw ApiException.invalid(at, "samples of one request are all texts or all images");
            }
            if (s.outputText() != null) {
                outputs.add(s.outputText());
                continue;
            }
            SampleImages.Decoded d = SampleImages.decode(s.imageB64(), at + "/image_b64");
            if (i > 0 && d.side() != side) {
                throw ApiException.invalid(at + "/image_b64", "is " + d.side() + "×" + d.side() + "; the samples of one"
                        + " request have one size (" + side + "×" + side + ")");
            }
            side = d.side();
            images.add(d.pixels());
        }
        RewardBatch batch = images.isEmpty()
                ? new RewardBatch(items, outputs, samples.size(), ScoringContext.NONE)
                : RewardBatch.ofImages(items, new GeneratedImages(side, images), samples.size());
        return RewardFunction.scoreSafely(reward, batch);
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

    private RewardSpecView view(RewardSpecEntity e, List<String> aliasNames) {
        return new RewardSpecView(e.id(), "reward_spec", e.name(), secrets.redact(json.readTree(e.grader())),
                itemFields(e), aliasNames, e.createdAt());
    }
}
