-- Operator authority (docs/API.md "Operator tokens and scopes", "Audit log", "Approvals").

-- Scopes (comma-separated), the label an addressed agent must carry, an expiry, who created it.
-- Tokens made before scopes existed could do everything: they keep that as "admin".
ALTER TABLE operator_tokens ADD COLUMN scopes VARCHAR(255) NOT NULL DEFAULT 'admin';
ALTER TABLE operator_tokens ADD COLUMN agents_label VARCHAR(320);
ALTER TABLE operator_tokens ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE operator_tokens ADD COLUMN created_by VARCHAR(128);

-- The audit log: append-only and hash-chained. Each entry's hash covers its fields and the hash
-- of the entry before it (AuditEntry.hash); audit_head holds the last seq and hash, and is locked
-- by every append, so that the nodes of a cluster extend one chain in one order.
CREATE TABLE audit_log (
    seq          BIGINT       PRIMARY KEY,
    at_ms        BIGINT       NOT NULL,
    node_id      VARCHAR(128) NOT NULL,
    token_id     VARCHAR(128) NOT NULL,
    token_name   VARCHAR(255) NOT NULL,
    address      VARCHAR(64)  NOT NULL,
    action       VARCHAR(160) NOT NULL,
    resource     VARCHAR(600) NOT NULL,
    status       INTEGER      NOT NULL,
    error_code   VARCHAR(64)  NOT NULL,
    message_ids  TEXT         NOT NULL,
    body_digest  CHAR(64)     NOT NULL,
    prev_hash    CHAR(64)     NOT NULL,
    hash         CHAR(64)     NOT NULL
);
CREATE INDEX idx_audit_log_token ON audit_log (token_id, seq);
CREATE INDEX idx_audit_log_at ON audit_log (at_ms);

CREATE TABLE audit_head (
    id    INTEGER  PRIMARY KEY,
    seq   BIGINT   NOT NULL,
    hash  CHAR(64) NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Signed checkpoints: the backend identity key's signature over the chain's head at seq.
CREATE TABLE audit_checkpoints (
    seq        BIGINT       PRIMARY KEY,
    hash       CHAR(64)     NOT NULL,
    key_id     VARCHAR(64)  NOT NULL,
    signature  VARCHAR(128) NOT NULL,
    signed_ms  BIGINT       NOT NULL
);

-- Sends and broadcasts that wait for a second operator's approval (AEGIS_APPROVAL_THRESHOLD,
-- AEGIS_APPROVAL_CHANNELS). The request is kept as it came and run when approved.
CREATE TABLE approvals (
    approval_id        VARCHAR(64)  PRIMARY KEY,
    kind               VARCHAR(16)  NOT NULL,
    agent_id           VARCHAR(128),
    channel            VARCHAR(128) NOT NULL,
    recipients         INTEGER      NOT NULL,
    reason             VARCHAR(255) NOT NULL,
    request            TEXT         NOT NULL,
    idempotency_key    VARCHAR(255),
    request_hash       CHAR(64),
    requested_by       VARCHAR(128) NOT NULL,
    requested_by_name  VARCHAR(255) NOT NULL,
    requester_label    VARCHAR(320),
    status             VARCHAR(24)  NOT NULL,
    created_at         TIMESTAMP    NOT NULL,
    expires_at         TIMESTAMP    NOT NULL,
    decided_by         VARCHAR(128),
    decided_by_name    VARCHAR(255),
    decided_at         TIMESTAMP,
    result_status      INTEGER,
    result             TEXT
);
CREATE INDEX idx_approvals_status ON approvals (status, created_at);
CREATE UNIQUE INDEX idx_approvals_key ON approvals (requested_by, idempotency_key);
