package dev.tropism.web;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.NoRepositoryBean;
import org.springframework.data.repository.query.Param;

/** Rows owned by a team: always looked up by (team_id, id), listed oldest first. */
@NoRepositoryBean
public interface TeamOwnedRepository<E extends TeamOwnedRepository.Owned> extends JpaRepository<E, String> {

    /** What paging needs of an entity. */
    interface Owned {
        String id();

        Instant createdAt();
    }

    Optional<E> findByTeamIdAndId(String teamId, String id);

    List<E> findByTeamIdOrderByCreatedAtAscIdAsc(String teamId, Limit limit);

    @Query("select e from #{#entityName} e where e.teamId = :teamId"
            + " and (e.createdAt > :at or (e.createdAt = :at and e.id > :id)) order by e.createdAt, e.id")
    List<E> findByTeamIdAfter(@Param("teamId") String teamId, @Param("at") Instant at, @Param("id") String id,
            Limit limit);

    /** One page (with one extra row, see {@link PageParams#toResponse}); unknown cursor answers 400. */
    default List<E> findPage(String teamId, PageParams page) {
        Limit limit = Limit.of(page.fetchSize());
        if (page.after() == null) {
            return findByTeamIdOrderByCreatedAtAscIdAsc(teamId, limit);
        }
        E after = findByTeamIdAndId(teamId, page.after()).orElseThrow(page::unknownCursor);
        return findByTeamIdAfter(teamId, after.createdAt(), after.id(), limit);
    }
}
