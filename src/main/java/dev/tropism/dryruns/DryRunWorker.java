package dev.tropism.dryruns;

import dev.tropism.datasets.DatasetCatalog;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.lm.LmDryRun;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.storage.Artifacts;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Executes one dry-run on a dry-run thread: downloads the model into a temporary directory, runs
 * {@link LmDryRun}, stores the {@link DryRunReport}. Never throws: every failure ends the dry-run
 * {@code failed} with a code and a message.
 */
@Component
class DryRunWorker {

    private static final Logger log = LoggerFactory.getLogger(DryRunWorker.class);

    private final DryRunStore store;
    private final ModelStore models;
    private final DatasetCatalog datasets;
    private final RewardSpecCatalog rewardSpecs;
    private final Artifacts artifacts;
    private final JsonMapper json;

    DryRunWorker(DryRunStore store, ModelStore models, DatasetCatalog datasets, RewardSpecCatalog rewardSpecs,
            Artifacts artifacts, JsonMapper json) {
        this.store = store;
        this.models = models;
        this.datasets = datasets;
        this.rewardSpecs = rewardSpecs;
        this.artifacts = artifacts;
        this.json = json;
    }

    void execute(String id) {
        try {
            if (!store.markRunning(id)) {
                return; // failed meanwhile (a restart's recovery)
            }
            DryRunRecord r = store.require(id);
            Caller system = new Caller(r.teamId(), "system", false);
            RewardFunction reward = rewardSpecs.rewardFunction(system, r.rewardSpec());
            List<Map<String, Object>> items = datasets.readItems(system, r.dataset());
            ModelRecord model = models.find(r.model())
                    .orElseThrow(() -> ApiException.notFound("model", r.model()));
            Path work = Files.createTempDirectory("tropism-" + id + "-");
            try {
                Path modelDir = work.resolve("model");
                artifacts.download(model.objectPrefix(), modelDir); // models/<id>/ or a checkpoint's model/
                LmDryRun.Result result = LmDryRun.run(modelDir, items, reward, r.config());
                DryRunReport report = DryRunReport.of(result);
                store.markSucceeded(id, json.writeValueAsString(report));
                log.info("dry-run {} of {}: {} samples in {} s, mean reward {}, zero-variance groups {}", id,
                        r.rewardSpec(), report.samples(), String.format("%.2f", result.totalSeconds()),
                        String.format("%.4f", report.reward().mean()),
                        String.format("%.3f", report.zeroVarianceGroupFraction()));
            } finally {
                Artifacts.deleteTree(work);
            }
        } catch (InterruptedException e) {
            fail(id, DryRunExecutor.INTERRUPTED, "interrupted by a shutdown of the service; submit it again");
            Thread.currentThread().interrupt();
        } catch (ConfigException e) {
            fail(id, "invalid_config", "/" + e.field() + " " + e.reason());
        } catch (IOException e) {
            fail(id, "model_unavailable", "could not read model: " + e.getMessage());
        } catch (ApiException e) {
            fail(id, "not_found", e.getMessage() + " It was deleted after the dry-run was submitted.");
        } catch (RuntimeException | Error e) {
            log.error("dry-run {} failed", id, e);
            fail(id, "internal_error", e.toString());
        }
    }

    private void fail(String id, String code, String message) {
        try {
            store.markFailed(id, code, message);
        } catch (RuntimeException e) {
            log.error("could not fail dry-run {} ({}: {}); the next start fails it", id, code, message, e);
        }
    }
}
