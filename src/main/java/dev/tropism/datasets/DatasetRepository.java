package dev.tropism.datasets;

import dev.tropism.web.TeamOwnedRepository;
import org.springframework.data.jpa.repository.Query;

interface DatasetRepository extends TeamOwnedRepository<DatasetEntity> {

    /** Bytes of the team's datasets in object storage. */
    @Query("select coalesce(sum(d.sizeBytes), 0) from DatasetEntity d where d.teamId = ?1")
    long storedBytes(String teamId);
}
