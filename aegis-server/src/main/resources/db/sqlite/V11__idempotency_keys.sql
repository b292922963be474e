-- Idempotency keys of operator sends and broadcasts; see the PostgreSQL migration of the same version.
CREATE TABLE idempotency_keys (
    operator      VARCHAR(128) NOT NULL,
    idem_key      VARCHAR(255) NOT NULL,
    request_hash  CHAR(64)     NOT NULL,
    message_id    VARCHAR(64)  NOT NULL,
    status_code   INTEGER      NOT NULL,
    response      TEXT         NOT NULL,
    created_at    INTEGER      NOT NULL,
    PRIMARY KEY (operator, idem_key)
);
CREATE INDEX idx_idempotency_keys_created ON idempotency_keys (created_at);
