-- Teams, API keys, datasets and reward specs. Portable between PostgreSQL and H2 (PostgreSQL mode):
-- JSON is stored as text.

create table teams (
    id         varchar(64)              not null primary key,
    name       varchar(200)             not null,
    created_at timestamp with time zone not null
);
create index teams_created_idx on teams (created_at, id);

create table api_keys (
    id         varchar(64)              not null primary key,
    team_id    varchar(64)              not null references teams (id),
    name       varchar(200)             not null,
    key_hash   varchar(64)              not null unique,
    prefix     varchar(16)              not null,
    created_at timestamp with time zone not null,
    revoked_at timestamp with time zone
);
create index api_keys_team_idx on api_keys (team_id);

create table datasets (
    id         varchar(64)              not null primary key,
    team_id    varchar(64)              not null references teams (id),
    name       varchar(200)             not null,
    purpose    varchar(32)              not null,
    lines      bigint                   not null,
    fields     text                     not null,
    object_key varchar(500)             not null,
    sha256     varchar(64)              not null,
    size_bytes bigint                   not null,
    created_at timestamp with time zone not null
);
create index datasets_team_created_idx on datasets (team_id, created_at, id);

create table reward_specs (
    id          varchar(64)              not null primary key,
    team_id     varchar(64)              not null references teams (id),
    name        varchar(200)             not null,
    grader      text                     not null,
    item_fields text                     not null,
    created_at  timestamp with time zone not null
);
create index reward_specs_team_created_idx on reward_specs (team_id, created_at, id);
