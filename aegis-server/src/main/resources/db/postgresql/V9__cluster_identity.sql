-- This database's cluster id: the nodes that share this database are one cluster, and they name
-- their Redis keys and channels after it (aegis:<cluster id>:...), so that two clusters that share
-- a Redis server never hear each other's notices or see each other's agents. One row, written by
-- the first node that starts with REDIS_URL.
CREATE TABLE cluster_identity (
    singleton   SMALLINT PRIMARY KEY CHECK (singleton = 1),
    cluster_id  VARCHAR(64) NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
