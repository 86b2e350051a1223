package dev.tropism.rewards;

import dev.tropism.web.TeamOwnedRepository;

interface RewardSpecRepository extends TeamOwnedRepository<RewardSpecEntity> {
}
