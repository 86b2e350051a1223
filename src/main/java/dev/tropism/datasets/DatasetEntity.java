package dev.tropism.datasets;

import dev.tropism.web.TeamOwnedRepository;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "datasets")
class DatasetEntity implements TeamOwnedRepository.Owned {

    @Id
    private String id;
    @Column(name = "team_id", nullable = false)
    private String teamId;
    @Column(nullable = false)
    private String name;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private DatasetPurpose purpose;
    @Column(nullable = false)
    private long lines;
    @Column(nullable = false, columnDefinition = "text")
    private String fields;
    @Column(name = "object_key", nullable = false)
    private String objectKey;
    @Column(nullable = false)
    private String sha256;
    @Column(name = "size_bytes", nullable = false)
    private long sizeBytes;
    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    protected DatasetEntity() {
    }

    DatasetEntity(String id, String teamId, String name, DatasetPurpose purpose, long lines, String fields,
            String objectKey, String sha256, long sizeBytes, Instant createdAt) {
        this.id = id;
        this.teamId = teamId;
        this.name = name;
        this.purpose = purpose;
        this.lines = lines;
        this.fields = fields;
        this.objectKey = objectKey;
        this.sha256 = sha256;
        this.sizeBytes = sizeBytes;
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

    DatasetPurpose purpose() {
        return purpose;
    }

    long lines() {
        return lines;
    }

    String fields() {
        return fields;
    }

    String objectKey() {
        return objectKey;
    }

    String sha256() {
        return sha256;
    }

    long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public Instant createdAt() {
        return createdAt;
    }
}
