package dev.tropism.catalog;

interface RewardSpecRepository extends TeamOwnedRepository<RewardSpecEntity> {
}
