package dev.tropism.catalog;

interface DatasetRepository extends TeamOwnedRepository<DatasetEntity> {
}
