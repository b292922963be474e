-- The PostgreSQL migration of the same version partitions the message queue for a cluster; a
-- SQLite store serves one node, so its queue stays one table. The lease table keeps the schema
-- the same in both dialects (it stays empty here).
CREATE TABLE queue_partition_leases (
    part        VARCHAR(128) PRIMARY KEY,
    node_id     VARCHAR(64),
    expires_at  TIMESTAMP NOT NULL
);
