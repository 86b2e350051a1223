package dev.tropism.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.jobs.CheckpointSaved;
import dev.tropism.jobs.JobCancelled;
import dev.tropism.jobs.JobFailed;
import dev.tropism.jobs.JobSucceeded;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.web.Ids;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The models module registers and updates models from the jobs module's events. */
@TropismIntegrationTest
class ModelRegistrarTest {

    @Autowired TropismTestClient api;
    @Autowired ModelStore models;
    @Autowired ApplicationEventPublisher publisher;
    @Autowired JdbcClient jdbc;

    String team;

    @BeforeEach
    void team() {
        team = api.newTeam("registrar-" + UUID.randomUUID().toString().substring(0, 8)).id();
    }

    private ModelRecord pretraining(String name) {
        ModelRecord m = ModelRecord.pretraining(Ids.newId("model_"), team, name, PolicyFamily.LANGUAGE_MODEL, "tiny-gpt",
                Ids.newId("job_"), 1234L);
        models.insert(m);
        return m;
    }

    private ModelRecord named(String name) {
        String id = jdbc.sql("SELECT id FROM models WHERE team_id = ? AND name = ?").params(team, name)
                .query(String.class).single();
        return models.find(id).orElseThrow();
    }

    @Test
    void aPretrainingJobsModelBecomesReadyWithItsCompanions() {
        ModelRecord m = pretraining("shoes");
        publisher.publishEvent(new JobSucceeded(m.job(), team, m.id(), m.id(), m.objectPrefix(), null, null, "ckpt_1",
                List.of(new JobSucceeded.Companion("gold-classifier", PolicyFamily.IMAGE_CLASSIFIER, "gold", 77))));
        ModelRecord ready = models.find(m.id()).orElseThrow();
        assertThat(ready.status()).isEqualTo(ModelRecord.READY);
        assertThat(ready.checkpoint()).isEqualTo("ckpt_1");
        ModelRecord gold = named("shoes/gold-classifier");
        assertThat(gold.parent()).isEqualTo(m.id());
        assertThat(gold.family()).isEqualTo(PolicyFamily.IMAGE_CLASSIFIER);
        assertThat(gold.objectPrefix()).isEqualTo(m.objectPrefix() + "gold/");
        assertThat(gold.parameters()).isEqualTo(77L);
        assertThat(gold.status()).isEqualTo(ModelRecord.READY);
    }

    @Test
    void anAlignmentJobRegistersItsCheckpointsAndItsAlignedModel() {
        ModelRecord base = pretraining("base");
        publisher.publishEvent(new JobSucceeded(base.job(), team, base.id(), base.id(), base.objectPrefix(), null, null,
                "ckpt_0", List.of()));
        publisher.publishEvent(new CheckpointSaved("job_align", team, base.id(), PolicyFamily.LANGUAGE_MODEL, "v1", "ckpt_5", 5,
                "jobs/job_align/checkpoints/ckpt_5/model/"));
        ModelRecord atFive = named("base:v1@5");
        assertThat(atFive.parent()).isEqualTo(base.id());
        assertThat(atFive.job()).isEqualTo("job_align");
        assertThat(atFive.objectPrefix()).isEqualTo("jobs/job_align/checkpoints/ckpt_5/model/");
        assertThat(atFive.recipe()).isEqualTo("tiny-gpt");

        String aligned = Ids.newId("model_");
        publisher.publishEvent(new JobSucceeded("job_other", team, base.id(), aligned, ModelRecord.prefixOf(aligned),
                PolicyFamily.LANGUAGE_MODEL, null, "ckpt_9", List.of()));
        ModelRecord named = named("base:job_other");
        assertThat(named.id()).isEqualTo(aligned);
        assertThat(named.checkpoint()).isEqualTo("ckpt_9");
        assertThat(named.parameters()).isEqualTo(1234L);
    }

    @Test
    void aFailedOrCancelledJobFailsOnlyTheModelItWasProducing() {
        ModelRecord failing = pretraining("failing");
        publisher.publishEvent(new JobFailed(failing.job(), team, failing.id(), failing.id(), "internal_error"));
        assertThat(models.find(failing.id()).orElseThrow().status()).isEqualTo(ModelRecord.FAILED);

        ModelRecord cancelled = pretraining("cancelled");
        publisher.publishEvent(new JobCancelled(cancelled.job(), team, cancelled.id(), cancelled.id()));
        assertThat(models.find(cancelled.id()).orElseThrow().status()).isEqualTo(ModelRecord.FAILED);

        // An alignment job's end leaves its base model alone.
        ModelRecord base = pretraining("still-training");
        publisher.publishEvent(new JobFailed("job_align", team, base.id(), null, "numerical_instability"));
        publisher.publishEvent(new JobCancelled("job_align2", team, base.id(), null));
        assertThat(models.find(base.id()).orElseThrow().status()).isEqualTo(ModelRecord.TRAINING);
    }
}
