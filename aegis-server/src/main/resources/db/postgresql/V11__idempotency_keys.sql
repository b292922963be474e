-- Idempotency keys of operator sends and broadcasts (the Idempotency-Key header): one row per
-- operator and key, written in the same transaction as the message it created, so that a retry
-- through any node -- even one that commits after the first -- finds it and creates nothing.
CREATE TABLE idempotency_keys (
    operator      VARCHAR(128) NOT NULL,
    idem_key      VARCHAR(255) NOT NULL,
    request_hash  CHAR(64)     NOT NULL,
    message_id    VARCHAR(64)  NOT NULL,
    status_code   INTEGER      NOT NULL,
    response      TEXT         NOT NULL,
    created_at    TIMESTAMP    NOT NULL,
    PRIMARY KEY (operator, idem_key)
);
CREATE INDEX idx_idempotency_keys_created ON idempotency_keys (created_at);
