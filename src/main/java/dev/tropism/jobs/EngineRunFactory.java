package dev.tropism.jobs;

import ai.djl.Device;
import dev.tropism.datasets.DatasetCatalog;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.Engine;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.RunSpec;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.align.LmAlignSpec;
import dev.tropism.engine.flow.FlowPretrainSpec;
import dev.tropism.engine.flowrl.FlowAlignSpec;
import dev.tropism.engine.lm.PretrainSpec;
import dev.tropism.engine.rl.GrpoSpec;
import dev.tropism.engine.rm.PreferencePair;
import dev.tropism.engine.rm.RewardModelSpec;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.storage.Artifacts;
import dev.tropism.teams.Caller;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Builds the engine's {@link RunSpec} from a stored job and opens it with {@link Engine#resume}. Data
 * is read with the job's team as a system caller; the base model of an alignment job is downloaded from
 * object storage.
 */
@Component
public class EngineRunFactory implements RunFactory {

    private static final Logger log = LoggerFactory.getLogger(EngineRunFactory.class);

    private final DatasetCatalog datasets;
    private final RewardSpecCatalog rewardSpecs;
    private final Artifacts artifacts;
    private final JsonMapper json;
    private final BaseModels models;
    private final EngineProperties engine;

    public EngineRunFactory(DatasetCatalog datasets, RewardSpecCatalog rewardSpecs, Artifacts artifacts, JsonMapper json,
            BaseModels models, EngineProperties engine) {
        this.engine = engine;
        this.models = models;
        this.datasets = datasets;
        this.rewardSpecs = rewardSpecs;
        this.artifacts = artifacts;
        this.json = json;
    }

    /**
     * Opens the job's run on this node's device ({@code tropism.engine.device}), and logs the device once.
     *
     * @throws ConfigException (field {@code tropism.engine.device}) when the device names a GPU this node lacks
     */
    @Override
    public TrainingRun open(JobRecord job, Path checkpoint, Path workDir) throws IOException {
        boolean checkFinite = engine.checkFinite() || JobDebug.of(job, json).checkFinite();
        Device device;
        try {
            device = engine.device().resolve();
        } catch (ConfigException e) { // the node's setting, not the job's: say which property to change
            throw new ConfigException("tropism.engine.device", e.reason());
        }
        TrainingRun run = Engine.resume(spec(job, workDir), checkpoint, new RunOptions(checkFinite, device));
        log.info("job {} trains on {} (tropism.engine.device={})", job.id(), DeviceInfo.of(run.device()), engine.device());
        return run;
    }

    /** The run spec of a stored job; downloads what the run reads from local disk into {@code workDir}. */
    public RunSpec spec(JobRecord job, Path workDir) throws IOException {
        Caller system = new Caller(job.teamId(), "system", false);
        return JobMethod.stored(job, json).match(new JobMethod.Cases<>() {

            @Override
            public RunSpec pretraining(JobMethod.Pretraining m) {
                List<String> corpus = datasets.readItems(system, job.dataset()).stream()
                        .map(item -> String.valueOf(item.get("text"))).toList();
                if (job.evalDataset() == null) {
                    return new PretrainSpec(m.model(), m.training(), corpus, job.seed());
                }
                return new PretrainSpec(m.model(), m.training(), corpus, job.seed(),
                        datasets.readItems(system, job.evalDataset()), rewardSpecs.rewardFunction(system, job.rewardSpec()));
            }

            @Override
            public RunSpec flowPretraining(JobMethod.FlowPretraining m) {
                return new FlowPretrainSpec(m.model(), m.training(), job.seed());
            }

            @Override
            public RunSpec grpo(JobMethod.Grpo m) throws IOException {
                return new GrpoSpec(downloadBaseModel(job, workDir), m.config(), prompts(system, job),
                        evalPrompts(system, job), rewardSpecs.rewardFunction(system, job.rewardSpec()), job.seed(),
                        goldReward(system, job), m.lora());
            }

            @Override
            public RunSpec rewardModel(JobMethod.RewardModel m) throws IOException {
                List<PreferencePair> eval = job.evalDataset() == null ? List.of() : preferences(system, job.evalDataset());
                return new RewardModelSpec(downloadBaseModel(job, workDir), m.config(), preferences(system, job.dataset()),
                        eval, job.seed(), m.lora());
            }

            @Override
            public RunSpec flowAlignment(JobMethod.FlowAlignment m) throws IOException {
                return new FlowAlignSpec(downloadBaseModel(job, workDir), m.type(), m.config(), m.extra(),
                        prompts(system, job), evalPrompts(system, job), rewardSpecs.rewardFunction(system, job.rewardSpec()),
                        goldReward(system, job), job.seed());
            }

            @Override
            public RunSpec lmAlignment(JobMethod.LmAlignment m) throws IOException {
                return new LmAlignSpec(downloadBaseModel(job, workDir), m.type(), m.config(), prompts(system, job),
                        evalPrompts(system, job), m.type().usesReward() ? rewardSpecs.rewardFunction(system, job.rewardSpec())
                                : null, goldReward(system, job), job.seed(), m.lora());
            }
        });
    }

    /** The job's {@code eval_reward_spec} as a function; null when it has none. */
    private RewardFunction goldReward(Caller system, JobRecord job) {
        return job.evalRewardSpec() == null ? null : rewardSpecs.rewardFunction(system, job.evalRewardSpec());
    }

    /** The job's base model, downloaded into {@code workDir/base-model}. */
    private Path downloadBaseModel(JobRecord job, Path workDir) throws IOException {
        Path baseModel = workDir.resolve("base-model");
        BaseModels.BaseModel base = models.find(job.model())
                .orElseThrow(() -> new IllegalStateException("base model " + job.model() + " of job " + job.id() + " is gone"));
        artifacts.downloadCached(base.objectPrefix(), baseModel); // models/<id>/ or a checkpoint's model/
        return baseModel;
    }

    private List<Map<String, Object>> prompts(Caller system, JobRecord job) {
        return datasets.readItems(system, job.dataset());
    }

    /** The items of {@code eval_dataset}; empty when the job has none. */
    private List<Map<String, Object>> evalPrompts(Caller system, JobRecord job) {
        return job.evalDataset() == null ? List.of() : datasets.readItems(system, job.evalDataset());
    }

    /** The pairs of a {@code preferences} dataset (its upload validation guarantees the three string fields). */
    private List<PreferencePair> preferences(Caller system, String datasetId) {
        return datasets.readItems(system, datasetId).stream().map(PreferencePair::of).toList();
    }
}
