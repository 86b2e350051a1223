package dev.tropism.rewards;

import dev.tropism.web.TeamOwnedRepository;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "reward_specs")
class RewardSpecEntity implements TeamOwnedRepository.Owned {

    @Id
    private String id;
    @Column(name = "team_id", nullable = false)
    private String teamId;
    @Column(nullable = false)
    private String name;
    @Column(nullable = false, columnDefinition = "text")
    private String grader;
    @Column(name = "item_fields", nullable = false, columnDefinition = "text")
    private String itemFields;
    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    protected RewardSpecEntity() {
    }

    RewardSpecEntity(String id, String teamId, String name, String grader, String itemFields, Instant createdAt) {
        this.id = id;
        this.teamId = teamId;
        this.name = name;
        this.grader = grader;
        this.itemFields = itemFields;
        this.createdAt = createdAt;
    }

    @Override
    public String id() {
        return id;
    }

    String teamId() {
        return teamId;
    }

    String name() {
        return name;
    }

    String grader() {
        return grader;
    }

    String itemFields() {
        return itemFields;
    }

    @Override
    public Instant createdAt() {
        return createdAt;
    }
}
