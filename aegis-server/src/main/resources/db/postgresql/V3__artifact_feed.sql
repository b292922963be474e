-- One row whose lock every artifact publication takes before it allocates its seq. Publications
-- therefore commit in seq order, so a poller that has seen seq N can never later miss an artifact
-- with a smaller seq that was still uncommitted (a BIGSERIAL alone allows that on PostgreSQL).
-- revision counts publications and deletions; the polling ETag includes it.
CREATE TABLE artifact_feed (
    id INTEGER PRIMARY KEY,
    revision BIGINT NOT NULL,
    CHECK (id = 1)
);
INSERT INTO artifact_feed (id, revision) VALUES (1, 0);
