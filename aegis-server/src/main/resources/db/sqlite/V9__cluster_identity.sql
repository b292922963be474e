-- This database's cluster id; see the PostgreSQL migration of the same version. (A SQLite store is
-- never shared by nodes, but the schema stays the same in both dialects.)
CREATE TABLE cluster_identity (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    cluster_id  VARCHAR(64) NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
