-- The message queue (MESSAGE_QUEUE_TABLE) becomes hash-partitioned by agent id into
-- AEGIS_QUEUE_PARTITIONS partitions (<table>_p0 ... <table>_pN-1), so that every index stays small
-- and each partition can be swept by one node of a cluster at a time (queue_partition_leases).
-- Works on an existing database: the rows move into the partitioned table in this transaction,
-- the seq sequence and every index of the table are kept (re-created on the partitioned table; the
-- primary key becomes (agent_id, id), as PostgreSQL requires the partition key in it). With
-- AEGIS_QUEUE_PARTITIONS=1 the table stays as it is. The count is fixed here: a later change of
-- the setting does not repartition (the node logs the count it found).
DO $$
DECLARE
  n integer := ${queue_partitions};
  t text := '${message_queue_table}';
  seq text;
  defs text[];
  d text;
  i integer;
BEGIN
  IF n > 1 THEN
    -- Every index but the primary key as it reads now, and the sequence behind seq: both are kept.
    SELECT array_agg(pg_get_indexdef(x.indexrelid)) INTO defs
      FROM pg_index x WHERE x.indrelid = to_regclass(t) AND NOT x.indisprimary;
    seq := pg_get_serial_sequence(t, 'seq');
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '_unpartitioned');
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (agent_id)',
                   t, t || '_unpartitioned');
    FOR i IN 0 .. n - 1 LOOP
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                     t || '_p' || i, t, n, i);
    END LOOP;
    -- seq's default still calls that sequence: it must outlive the old table.
    EXECUTE format('ALTER SEQUENCE %s OWNED BY %I.seq', seq, t);
    EXECUTE format('INSERT INTO %I SELECT * FROM %I', t, t || '_unpartitioned');
    EXECUTE format('DROP TABLE %I', t || '_unpartitioned');
    -- Now that the old table's names are free: the primary key (with the partition key in it, as
    -- PostgreSQL requires) and the indexes, whose definitions name the table as the new one is named.
    EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (agent_id, id)', t);
    IF defs IS NOT NULL THEN
      FOREACH d IN ARRAY defs LOOP
        EXECUTE d;
      END LOOP;
    END IF;
  END IF;
END $$;

-- Which node sweeps which partition: a lease renewed by every sweep of its node (a few sweep
-- intervals long), taken over by another node when it runs out.
CREATE TABLE queue_partition_leases (
    part        VARCHAR(128) PRIMARY KEY,
    node_id     VARCHAR(64),
    expires_at  TIMESTAMP NOT NULL
);
