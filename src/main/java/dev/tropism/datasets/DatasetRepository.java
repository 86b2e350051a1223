package dev.tropism.datasets;

import dev.tropism.web.TeamOwnedRepository;

interface DatasetRepository extends TeamOwnedRepository<DatasetEntity> {
}
