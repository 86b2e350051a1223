package dev.tropism.rewards;

import java.util.Collection;
import java.util.Optional;

/**
 * Which reward specs and aliases use a model, for checkpoint retention (in {@code jobs}): a checkpoint whose model a
 * spec's grader names ({@code reward_model} and image-classifier graders, nested ones in composite graders included)
 * or an alias points at is never deleted.
 */
public interface RewardModelUsers {

    /**
     * Why one of {@code modelIds} (models of team {@code teamId}) must be kept ({@code "reward spec rs_… (helpful)
     * grades with model_… at /graders/rm/model"}, {@code "alias helpfulness@production points at model_…"}); empty
     * when no spec or alias of the team uses any of them.
     */
    Optional<String> referencing(String teamId, Collection<String> modelIds);
}
