package dev.tropism.models;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.rm.RewardModel;
import dev.tropism.rewards.RewardModelScorer;
import dev.tropism.storage.Artifacts;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import java.util.List;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Reward models (family {@code reward-model}: trained by {@code reward_model} jobs, and their checkpoints)
 * loaded for scoring, e.g. by {@code reward_model} graders. Loaded models are cached, at most
 * {@code tropism.reward-models.cache-size} (default 4) at once, least recently used first out; an
 * evicted model is closed (after a score in progress) and loaded again when next used. A model's weights
 * never change once it is ready, so the cache is keyed by model id alone; ownership is checked on every
 * {@link #open}.
 *
 * <pre>
 * RewardModelHandle rm = rewardModels.open(caller, "model_…");   // 404 / 422 when not usable
 * double[] r = rm.score(List.of(prompt), List.of(completion));     // r(prompt ⊕ completion)
 * </pre>
 */
@Component
public class RewardModels implements RewardModelScorer {

    private final ModelStore models;
    private final ModelCache<RewardModel> cache;

    public RewardModels(ModelStore models, Artifacts artifacts,
            @Value("${tropism.reward-models.cache-size:4}") int cacheSize) {
        if (cacheSize < 1) {
            throw new IllegalArgumentException("tropism.reward-models.cache-size must be >= 1, got " + cacheSize);
        }
        this.models = models;
        this.cache = new ModelCache<>("reward", artifacts, cacheSize, RewardModel::load);
    }

    /**
     * Why the caller cannot score with {@code modelId} (missing, another team's, not a reward model, not
     * ready), or empty when it can. For validating a grader without loading anything.
     */
    public Optional<String> unusable(Caller caller, String modelId) {
        return models.find(modelId).filter(m -> m.teamId().equals(caller.requireTeam())).map(RewardModels::problem)
                .orElse(Optional.of("no model with id '" + modelId + "'"));
    }

    @Override
    public Optional<String> unusable(String teamId, String modelId) {
        return unusable(system(teamId), modelId);
    }

    @Override
    public double[] score(String teamId, String modelId, List<String> prompts, List<String> completions) {
        return open(system(teamId), modelId).score(prompts, completions);
    }

    private static Caller system(String teamId) {
        return new Caller(teamId, "system", false);
    }

    private static Optional<String> problem(ModelRecord m) {
        return m.unusableAs(PolicyFamily.REWARD_MODEL);
    }

    /**
     * A handle to score with the caller's reward model. The weights load on the first {@code score}.
     *
     * @throws ApiException 404 {@code not_found} for a missing or another team's model, 422 {@code
     *     validation_failed} (pointer {@code /model}) for a model that is not a ready reward model
     */
    public RewardModelHandle open(Caller caller, String modelId) {
        ModelRecord record = models.get(caller.requireTeam(), modelId);
        Optional<String> problem = problem(record);
        if (problem.isPresent()) {
            throw ApiException.invalid("/model", problem.get());
        }
        return new RewardModelHandle(this, record);
    }

    /** Rewards of {@code record}'s model, loaded from object storage or the cache; one call per model at a time. */
    double[] score(ModelRecord record, List<String> prompts, List<String> completions) {
        return cache.use(record, model -> model.score(prompts, completions));
    }

    /** Ids of the models loaded now, least recently used first. */
    List<String> cached() {
        return cache.cached();
    }

    /** Closes every loaded model (on shutdown). */
    @jakarta.annotation.PreDestroy
    public void close() {
        cache.close();
    }
}
