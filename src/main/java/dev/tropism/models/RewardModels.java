package dev.tropism.models;

import ai.djl.ndarray.NDManager;
import dev.tropism.catalog.RewardModelScorer;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.rm.RewardModel;
import dev.tropism.storage.Artifacts;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private final Artifacts artifacts;
    private final int cacheSize;
    private final Map<String, RewardModel> loaded = new LinkedHashMap<>(16, 0.75f, true); // access order: LRU first
    private NDManager root; // created on first load, so that a service that never scores never loads PyTorch

    public RewardModels(ModelStore models, Artifacts artifacts,
            @Value("${tropism.reward-models.cache-size:4}") int cacheSize) {
        if (cacheSize < 1) {
            throw new IllegalArgumentException("tropism.reward-models.cache-size must be >= 1, got " + cacheSize);
        }
        this.models = models;
        this.artifacts = artifacts;
        this.cacheSize = cacheSize;
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
        return m.unusableAs(PolicyFamily.REWARD_MODEL.wireName());
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

    /** The loaded model of {@code record}, from the cache or object storage. */
    synchronized RewardModel load(ModelRecord record) {
        RewardModel model = loaded.get(record.id());
        if (model != null) {
            return model;
        }
        if (root == null) {
            root = NDManager.newBaseManager();
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("tropism-rm-");
            artifacts.download(record.objectPrefix(), dir);
            model = RewardModel.load(dir, root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load reward model " + record.id(), e);
        } finally {
            Artifacts.deleteTree(dir);
        }
        loaded.put(record.id(), model);
        List<RewardModel> evicted = new ArrayList<>();
        for (Iterator<RewardModel> it = loaded.values().iterator(); loaded.size() > cacheSize && it.hasNext(); ) {
            evicted.add(it.next());
            it.remove();
        }
        evicted.forEach(RewardModel::close);
        return model;
    }

    /** Ids of the models loaded now, least recently used first. */
    synchronized List<String> cached() {
        return List.copyOf(loaded.keySet());
    }

    /** Closes every loaded model (on shutdown). */
    @jakarta.annotation.PreDestroy
    public synchronized void close() {
        loaded.values().forEach(RewardModel::close);
        loaded.clear();
        if (root != null) {
            root.close();
            root = null;
        }
    }
}
