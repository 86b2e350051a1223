package dev.tropism.jobs;

import dev.tropism.rewards.RewardModelUsers;
import dev.tropism.storage.ObjectStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Applies a job's {@link RetentionPolicy} after each of its checkpoints, in the step's transaction: every checkpoint
 * outside the newest {@code keep_last} and the best by {@code best_metric} is deleted, unless something still
 * references it. Never deleted: the latest (the resume point), one a model was exported from (a job's result model),
 * one whose model a job trains from or a model was trained from ({@link CheckpointModels#referencedBy}, and the jobs'
 * own {@code model} column), one whose model a reward spec's grader names or a reward alias points at
 * ({@link RewardModelUsers}), and one whose model another module still uses ({@link ModelReferences}: an eval suite's
 * policy or baseline, a queued or running evaluation or dry-run). The checkpoint's own model rows are locked before
 * the references are looked up. A deletion removes the row, marks the checkpoint's model {@code deleted}, records a
 * {@code checkpoint.deleted} job event and publishes {@link CheckpointDeleted}; the objects are deleted from object
 * storage once the transaction has committed, so a rolled-back step loses nothing (a crash between the commit and the
 * deletion leaves the objects behind, unreferenced).
 */
@Component
class CheckpointRetention {

    private static final Logger log = LoggerFactory.getLogger(CheckpointRetention.class);
    static final String EVENT = "checkpoint.deleted";

    private final Checkpoints checkpoints;
    private final JobStore jobs;
    private final JobEvents events;
    private final CheckpointModels models;
    private final RewardModelUsers rewardUsers;
    private final ObjectProvider<ModelReferences> references;
    private final ObjectStore objects;
    private final ApplicationEventPublisher publisher;
    private final JsonMapper json;

    CheckpointRetention(Checkpoints checkpoints, JobStore jobs, JobEvents events, CheckpointModels models,
            RewardModelUsers rewardUsers, ObjectProvider<ModelReferences> references, ObjectStore objects,
            ApplicationEventPublisher publisher, JsonMapper json) {
        this.checkpoints = checkpoints;
        this.jobs = jobs;
        this.events = events;
        this.models = models;
        this.rewardUsers = rewardUsers;
        this.references = references;
        this.objects = objects;
        this.publisher = publisher;
        this.json = json;
    }

    /**
     * What a policy keeps of a job's checkpoints, each with why, before references are considered.
     *
     * @param kept checkpoint id to the reasons it is kept ({@code latest}, {@code last 3}, {@code best eval/...})
     * @param candidates the others, oldest first: deleted unless referenced
     */
    record Plan(Map<String, List<String>> kept, List<Checkpoint> candidates) {
    }

    /**
     * The plan of {@code policy} over {@code all} (a job's checkpoints in step order): the latest, the newest
     * {@code keep_last}, and with {@code keep_best} the one whose metrics snapshot has the best {@code best_metric}
     * (the earliest of equal values; a checkpoint saved at a step without that metric does not compete).
     */
    static Plan plan(List<Checkpoint> all, RetentionPolicy policy, JsonMapper json) {
        Map<String, List<String>> kept = new LinkedHashMap<>();
        if (all.isEmpty()) {
            return new Plan(kept, List.of());
        }
        kept.computeIfAbsent(all.get(all.size() - 1).id(), k -> new ArrayList<>()).add("latest");
        for (Checkpoint c : all.subList(Math.max(0, all.size() - policy.keepLast()), all.size())) {
            kept.computeIfAbsent(c.id(), k -> new ArrayList<>()).add("last " + policy.keepLast());
        }
        if (policy.keepBest()) {
            best(all, policy, json).ifPresent(c -> kept.computeIfAbsent(c.id(), k -> new ArrayList<>())
                    .add("best " + policy.bestMetric()));
        }
        List<Checkpoint> candidates = all.stream().filter(c -> !kept.containsKey(c.id())).toList();
        return new Plan(kept, candidates);
    }

    /** The checkpoint with the best {@code best_metric}; empty when none carries it. */
    static Optional<Checkpoint> best(List<Checkpoint> all, RetentionPolicy policy, JsonMapper json) {
        Checkpoint best = null;
        double bestValue = Double.NaN;
        for (Checkpoint c : all) {
            JsonNode v = c.metrics() == null ? null : json.readTree(c.metrics()).get(policy.bestMetric());
            if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
                continue;
            }
            if (best == null || policy.mode().better(v.asDouble(), bestValue)) {
                best = c;
                bestValue = v.asDouble();
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * Deletes what {@code job}'s policy no longer keeps and nothing references; call it in the transaction that saved
     * the job's newest checkpoint. Returns the deleted checkpoints; none when the job keeps every checkpoint.
     */
    List<Checkpoint> apply(JobRecord job) {
        RetentionPolicy policy = RetentionPolicy.of(job, json);
        if (policy == null) {
            return List.of();
        }
        Plan plan = plan(checkpoints.list(job.id()), policy, json);
        List<Checkpoint> deleted = new ArrayList<>();
        for (Checkpoint c : plan.candidates()) {
            Optional<String> reference = referencedBy(job, c);
            if (reference.isPresent()) {
                log.debug("{}: checkpoint {} kept by retention: {}", job.id(), c.id(), reference.get());
                continue;
            }
            delete(job, c, policy);
            deleted.add(c);
        }
        return deleted;
    }

    /**
     * What still references {@code c}, beyond its own models; empty when it may be deleted. Its own models' rows are
     * locked first, so the answer holds until the transaction (which deletes it) ends for every writer that locks them.
     */
    Optional<String> referencedBy(JobRecord job, Checkpoint c) {
        List<String> own = models.lockModelsOf(c);
        Optional<String> model = models.referencedBy(c);
        if (model.isPresent() || own.isEmpty()) {
            return model;
        }
        Optional<String> training = jobs.trainingFrom(own).map(j -> "job " + j + " trains from its model");
        if (training.isPresent()) {
            return training;
        }
        Optional<String> reward = rewardUsers.referencing(job.teamId(), own);
        if (reward.isPresent()) {
            return reward;
        }
        return references.orderedStream().map(r -> r.referencing(own)).flatMap(Optional::stream).findFirst();
    }

    private void delete(JobRecord job, Checkpoint c, RetentionPolicy policy) {
        if (!checkpoints.delete(c.id())) {
            return; // another launch of the job deleted it first
        }
        models.markDeleted(c);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("checkpoint", c.id());
        data.put("step", c.step());
        data.put("size_bytes", c.sizeBytes());
        data.put("reason", CheckpointDeleted.RETENTION);
        data.put("keep_last", policy.keepLast());
        data.put("keep_best", policy.keepBest());
        data.put("best_metric", policy.bestMetric());
        events.info(job.id(), EVENT, "Checkpoint " + c.id() + " at step " + c.step() + " deleted by retention (keep_last "
                + policy.keepLast() + (policy.keepBest() ? ", keep_best by " + policy.bestMetric() : "") + ").", data);
        publisher.publishEvent(new CheckpointDeleted(job.id(), job.teamId(), c.id(), c.step(), CheckpointDeleted.RETENTION));
        JobService.afterCommit(() -> deleteObjects(c));
    }

    private void deleteObjects(Checkpoint c) {
        try {
            objects.deletePrefix(c.objectPrefix());
        } catch (IOException | RuntimeException e) {
            log.warn("checkpoint {} was deleted but its objects under {} could not be: {}", c.id(), c.objectPrefix(),
                    e.toString());
        }
    }
}
