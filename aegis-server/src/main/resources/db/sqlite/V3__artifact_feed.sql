-- One row whose lock every artifact publication takes before it allocates its seq (SQLite already
-- serializes writers; the row keeps the SQL the same on both stores). revision counts
-- publications and deletions; the polling ETag includes it.
CREATE TABLE artifact_feed (
    id INTEGER PRIMARY KEY,
    revision BIGINT NOT NULL,
    CHECK (id = 1)
);
INSERT INTO artifact_feed (id, revision) VALUES (1, 0);
