package dev.tropism.teams;

import java.time.Instant;
import java.util.List;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface TeamRepository extends JpaRepository<TeamEntity, String> {

    List<TeamEntity> findAllByOrderByCreatedAtAscIdAsc(Limit limit);

    @Query("select t from TeamEntity t where t.createdAt > :at or (t.createdAt = :at and t.id > :id)"
            + " order by t.createdAt, t.id")
    List<TeamEntity> findAfter(@Param("at") Instant at, @Param("id") String id, Limit limit);
}
