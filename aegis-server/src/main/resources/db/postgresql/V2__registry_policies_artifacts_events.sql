-- The Phase 1-2 API's tables: agents and their labels, enrollment and operator tokens,
-- agent sessions and authentication nonces, versioned policies and their assignments,
-- artifacts with their targets, and events. Every time is UTC in a TIMESTAMP column.

CREATE TABLE agents (
    agent_id VARCHAR(255) PRIMARY KEY,
    public_key TEXT NOT NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'active',
    metadata JSONB NOT NULL DEFAULT '{}',
    labels JSONB NOT NULL DEFAULT '{}',
    enrolled_by VARCHAR(64) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    key_rotated_at TIMESTAMP,
    CHECK (status IN ('active', 'inactive'))
);
CREATE INDEX idx_agents_status ON agents(status);

-- One row per label, so that "agents with label k=v" is an index lookup.
CREATE TABLE agent_labels (
    agent_id VARCHAR(255) NOT NULL REFERENCES agents(agent_id) ON DELETE CASCADE,
    name VARCHAR(63) NOT NULL,
    value VARCHAR(255) NOT NULL,
    PRIMARY KEY (agent_id, name)
);
CREATE INDEX idx_agent_labels_name_value ON agent_labels(name, value);

CREATE TABLE enrollment_tokens (
    id VARCHAR(36) PRIMARY KEY,
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    description TEXT,
    max_uses INTEGER NOT NULL,
    use_count INTEGER NOT NULL DEFAULT 0,
    labels JSONB NOT NULL DEFAULT '{}',
    expires_at TIMESTAMP NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE operator_tokens (
    id VARCHAR(36) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    revoked BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL
);

-- Session tokens are stored only as SHA-256 hashes.
CREATE TABLE agent_sessions (
    token_hash VARCHAR(64) PRIMARY KEY,
    agent_id VARCHAR(255) NOT NULL REFERENCES agents(agent_id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX idx_agent_sessions_agent_id ON agent_sessions(agent_id);
CREATE INDEX idx_agent_sessions_expires_at ON agent_sessions(expires_at);

-- Nonces of accepted authentication requests, kept until their timestamp leaves the skew window.
CREATE TABLE auth_nonces (
    agent_id VARCHAR(255) NOT NULL,
    nonce VARCHAR(128) NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (agent_id, nonce)
);
CREATE INDEX idx_auth_nonces_expires_at ON auth_nonces(expires_at);

CREATE TABLE policies (
    name VARCHAR(128) NOT NULL,
    version INTEGER NOT NULL,
    document JSONB NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE policy_assignments (
    id VARCHAR(36) PRIMARY KEY,
    policy_name VARCHAR(128) NOT NULL,
    target_type VARCHAR(16) NOT NULL,
    target_value VARCHAR(512) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (policy_name, target_type, target_value),
    CHECK (target_type IN ('agent', 'label'))
);
CREATE INDEX idx_policy_assignments_target ON policy_assignments(target_type, target_value);

-- seq is the polling cursor: strictly increasing in publication order.
CREATE TABLE artifacts (
    seq BIGSERIAL PRIMARY KEY,
    id VARCHAR(36) NOT NULL UNIQUE,
    name VARCHAR(255) NOT NULL,
    version VARCHAR(128) NOT NULL,
    sha256 CHAR(64) NOT NULL,
    size BIGINT NOT NULL,
    content BYTEA,
    download_url TEXT,
    target_all BOOLEAN NOT NULL,
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (name, version),
    CHECK ((content IS NULL) <> (download_url IS NULL))
);

CREATE TABLE artifact_targets (
    artifact_seq BIGINT NOT NULL REFERENCES artifacts(seq) ON DELETE CASCADE,
    target_type VARCHAR(16) NOT NULL,
    target_value VARCHAR(512) NOT NULL,
    PRIMARY KEY (artifact_seq, target_type, target_value),
    CHECK (target_type IN ('agent', 'label'))
);
CREATE INDEX idx_artifact_targets_target ON artifact_targets(target_type, target_value);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    agent_id VARCHAR(255) NOT NULL,
    type VARCHAR(128) NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    body JSONB NOT NULL
);
CREATE INDEX idx_events_agent_time ON events(agent_id, occurred_at);
CREATE INDEX idx_events_type_time ON events(type, occurred_at);
CREATE INDEX idx_events_time ON events(occurred_at);
