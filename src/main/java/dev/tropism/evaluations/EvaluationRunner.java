package dev.tropism.evaluations;

import dev.tropism.datasets.DatasetCatalog;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.lm.LmDryRun;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.models.RewardModelHandle;
import dev.tropism.models.RewardModels;
import dev.tropism.rewards.RewardAliases;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.storage.Artifacts;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Measures one evaluation: scores the suite's held-out pairs with the candidate (and the baseline), samples the
 * suite's policy on its prompts once, scores those samples with the gold judge, the candidate and the baseline, and
 * hands the raw numbers to {@link Measures}. Checks the thread's interrupt flag between samples (cancel, shutdown).
 */
@Component
class EvaluationRunner {

    /** Called as the run advances. */
    interface Progress {
        void at(String phase, int done, int total);

        void event(String type, String message, Map<String, ?> data);
    }

    /**
     * What one reward (candidate or baseline) measured.
     *
     * @param chosen its scores of the pairs' chosen responses, or null without preferences
     * @param rejected its scores of the rejected responses, or null
     * @param proxy its scores of the policy samples (prompt-major), or null without prompts
     */
    record Side(RewardAliases.Kind kind, double[] chosen, double[] rejected, double[] proxy, double[] latencyMs,
            Map<String, Integer> errors) {
    }

    /**
     * @param gold the gold judge's scores of the policy samples, prompt-major, or null without prompts
     * @param samplesPerPrompt n: the policy samples of prompt i are {@code i·n .. i·n + n − 1}
     */
    record Measured(Side candidate, Side baseline, double[] gold, int samplesPerPrompt) {
    }

    private final DatasetCatalog datasets;
    private final RewardSpecCatalog specs;
    private final RewardModels rewardModels;
    private final ModelStore models;
    private final Artifacts artifacts;

    EvaluationRunner(DatasetCatalog datasets, RewardSpecCatalog specs, RewardModels rewardModels, ModelStore models,
            Artifacts artifacts) {
        this.datasets = datasets;
        this.specs = specs;
        this.rewardModels = rewardModels;
        this.models = models;
        this.artifacts = artifacts;
    }

    Measured measure(Evaluation e, EvalSuite suite, Progress progress) throws IOException, InterruptedException {
        Caller system = new Caller(e.teamId(), "system", false);
        List<Map<String, Object>> pairs = suite.preferences() == null ? null
                : datasets.readItems(system, suite.preferences());
        List<LmDryRun.Scored> samples = null;
        double[] gold = null;
        if (suite.prompts() != null) {
            List<Map<String, Object>> prompts = datasets.readItems(system, suite.prompts());
            ModelRecord policy = models.find(suite.policy())
                    .orElseThrow(() -> ApiException.notFound("model", suite.policy()));
            RewardFunction goldReward = specs.rewardFunction(system, suite.goldRewardSpec());
            int expected = Math.min(prompts.size(), suite.sampling().limit()) * suite.sampling().samplesPerPrompt();
            progress.at("sampling", 0, expected);
            Path work = Files.createTempDirectory("tropism-" + e.id() + "-");
            try {
                Path modelDir = work.resolve("model");
                artifacts.downloadCached(policy.objectPrefix(), modelDir);
                LmDryRun.Result result = LmDryRun.run(modelDir, prompts, goldReward, suite.sampling());
                samples = result.samples();
                gold = samples.stream().mapToDouble(s -> s.result().reward()).toArray();
                long goldErrors = samples.stream().filter(s -> !s.result().errors().isEmpty()).count();
                progress.event("evaluation.sampled", "sampled " + samples.size() + " completions of " + suite.policy()
                        + " in " + String.format("%.1f", result.samplingSeconds()) + " s; gold judge "
                        + suite.goldRewardSpec() + " mean " + String.format("%.4f", mean(gold)),
                        Map.of("samples", samples.size(), "gold_mean", mean(gold), "gold_errors", goldErrors,
                                "sampling_seconds", result.samplingSeconds()));
            } finally {
                Artifacts.deleteTree(work);
            }
        }
        Side candidate = side("candidate", e.candidate(), pairs, samples, system, progress);
        Side baseline = e.baseline() == null ? null : side("baseline", e.baseline(), pairs, samples, system, progress);
        return new Measured(candidate, baseline, gold, suite.sampling().samplesPerPrompt());
    }

    /** Scores the pairs and the samples with one reward. */
    private Side side(String role, RewardRefs.Ref ref, List<Map<String, Object>> pairs, List<LmDryRun.Scored> samples,
            Caller system, Progress progress) throws InterruptedException {
        Scorer scorer;
        if (ref.kind() == RewardAliases.Kind.REWARD_SPEC) {
            scorer = Scorer.ofSpec(specs.rewardFunction(system, ref.id()));
        } else {
            RewardModelHandle model = rewardModels.open(system, ref.id());
            scorer = Scorer.ofModel(model::score);
        }
        int total = (pairs == null ? 0 : 2 * pairs.size()) + (samples == null ? 0 : samples.size());
        double[] chosen = null;
        double[] rejected = null;
        double[] proxy = null;
        int done = 0;
        if (pairs != null) {
            List<String> chosenTexts = new ArrayList<>(pairs.size());
            List<String> rejectedTexts = new ArrayList<>(pairs.size());
            for (Map<String, Object> p : pairs) {
                chosenTexts.add(String.valueOf(p.get("chosen")));
                rejectedTexts.add(String.valueOf(p.get("rejected")));
            }
            String phase = role + "/preferences";
            int base = done;
            chosen = scorer.score(pairs, chosenTexts, n -> tick(progress, phase, base + n, total));
            int base2 = base + pairs.size();
            rejected = scorer.score(pairs, rejectedTexts, n -> tick(progress, phase, base2 + n, total));
            done = base2 + pairs.size();
        }
        if (samples != null) {
            List<Map<String, Object>> items = samples.stream().map(LmDryRun.Scored::item).toList();
            List<String> outputs = samples.stream().map(LmDryRun.Scored::output).toList();
            String phase = role + "/samples";
            int base = done;
            proxy = scorer.score(items, outputs, n -> tick(progress, phase, base + n, total));
        }
        progress.at(role + "/scored", total, total);
        return new Side(ref.kind(), chosen, rejected, proxy, scorer.tally().latencyMs(), scorer.tally().errors());
    }

    /** Progress every 32 samples and at the end, so the database is not written per sample. */
    private static void tick(Progress progress, String phase, int done, int total) {
        if (done % 32 == 0 || done == total) {
            progress.at(phase, done, total);
        }
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? 0 : s / v.length;
    }
}
