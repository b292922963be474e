package io.aegis.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.aegis.server.config.Config;
import io.aegis.server.config.DatabaseUrl;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable store: a pooled JDBC data source on SQLite (embedded, the default) or PostgreSQL,
 * migrated to the current schema when opened.
 *
 * <p>SQLite runs in WAL mode with {@code synchronous=FULL}, so a committed transaction survives a
 * crash of the process or the machine; write transactions begin {@code IMMEDIATE} so that two
 * writers queue on the busy timeout instead of failing to upgrade a read lock.
 *
 * <p>Thread-safe. Every method blocks: call it from a worker or virtual thread, never from an
 * event loop.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  /** How long an SQLite statement waits for a lock before it fails. */
  static final int BUSY_TIMEOUT_MILLIS = 30_000;

  private final HikariDataSource dataSource;
  private final Dialect dialect;
  private final DatabaseUrl url;
  private final WalCheckpointer checkpointer;

  private Database(HikariDataSource dataSource, Dialect dialect, DatabaseUrl url) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.url = url;
    this.checkpointer = dialect == Dialect.SQLITE ? new WalCheckpointer(dataSource) : null;
  }

  /** Opens the store named by the configuration and migrates it. */
  public static Database open(Config config) {
    DatabaseUrl url = config.database();
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url.jdbcUrl());
    url.user().ifPresent(hc::setUsername);
    url.password().ifPresent(hc::setPassword);
    hc.setPoolName("aegis-db");
    hc.setConnectionTimeout(Duration.ofSeconds(10).toMillis());
    hc.setInitializationFailTimeout(Duration.ofSeconds(15).toMillis());
    Dialect dialect;
    if (url.kind() == DatabaseUrl.Kind.SQLITE) {
      dialect = Dialect.SQLITE;
      try {
        Files.createDirectories(config.dataDir());
      } catch (IOException e) {
        throw new StoreException("cannot create data directory " + config.dataDir(), e);
      }
      hc.addDataSourceProperty("journal_mode", "WAL");
      hc.addDataSourceProperty("synchronous", "FULL");
      hc.addDataSourceProperty("foreign_keys", "true");
      hc.addDataSourceProperty("busy_timeout", Integer.toString(BUSY_TIMEOUT_MILLIS));
      hc.addDataSourceProperty("transaction_mode", "IMMEDIATE");
      // The message queue's indexes outgrow SQLite's default 2 MiB page cache quickly; every miss
      // is a read system call. A larger cache and memory-mapped reads keep the hot pages close.
      hc.addDataSourceProperty("cache_size", "-65536");
      hc.addDataSourceProperty("mmap_size", Long.toString(256L << 20));
      // Checkpoints run in the background (WalCheckpointer), not inside a commit.
      hc.setConnectionInitSql("PRAGMA wal_autocheckpoint = 0");
      // One writer at a time is SQLite's model; a few connections let reads run beside it.
      hc.setMaximumPoolSize(4);
    } else {
      dialect = Dialect.POSTGRESQL;
      hc.addDataSourceProperty("stringtype", "unspecified");
      hc.addDataSourceProperty("reWriteBatchedInserts", "true");
      hc.addDataSourceProperty("ApplicationName", "aegis-gateway");
      // A partition that drops packets without a reset leaves a query waiting forever and the pool
      // dry: bound every wait for the server, and let keepalive find idle connections that died.
      hc.addDataSourceProperty("connectTimeout", Long.toString(config.dbConnectTimeout().toSeconds()));
      hc.addDataSourceProperty("loginTimeout", Long.toString(config.dbConnectTimeout().toSeconds()));
      hc.addDataSourceProperty("socketTimeout", Long.toString(config.dbSocketTimeout().toSeconds()));
      hc.addDataSourceProperty("tcpKeepAlive", "true");
      hc.setKeepaliveTime(Duration.ofSeconds(30).toMillis());
      hc.setValidationTimeout(Duration.ofSeconds(2).toMillis());
      hc.setMaximumPoolSize(config.dbPoolSize());
    }
    HikariDataSource ds;
    try {
      ds = new HikariDataSource(hc);
    } catch (RuntimeException e) {
      throw new StoreException("cannot connect to the database " + url.redacted() + ": " + rootMessage(e), e);
    }
    Database db = new Database(ds, dialect, url);
    try {
      db.migrate(config);
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
    return db;
  }

  private void migrate(Config config) {
    String location = dialect == Dialect.SQLITE ? "classpath:db/sqlite" : "classpath:db/postgresql";
    try {
      var flyway = Flyway.configure();
      // On PostgreSQL, migrations run on a connection of their own without the pool's socket
      // timeout: building an index on a large queue may rightly take longer than any query.
      if (dialect == Dialect.POSTGRESQL) {
        flyway.dataSource(url.jdbcUrl(), url.user().orElse(null), url.password().orElse(null));
      } else {
        flyway.dataSource(dataSource);
      }
      var result = flyway
          .locations(location)
          .placeholders(Map.of(
              "message_queue_table", config.messageQueueTable(),
              "connections_table", config.connectionsTable(),
              "queue_partitions", String.valueOf(config.queuePartitions())))
          .failOnMissingLocations(true)
          .load()
          .migrate();
      if (result.migrationsExecuted > 0) {
        log.info("database migrated to version {} ({} migrations)", result.targetSchemaVersion, result.migrationsExecuted);
      }
    } catch (RuntimeException e) {
      throw new StoreException("database migration failed: " + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }

  public Dialect dialect() {
    return dialect;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /** The store's location, without secrets, for the banner. */
  public String describe() {
    return (dialect == Dialect.SQLITE ? "SQLite " : "PostgreSQL ") + url.redacted();
  }

  /** Runs {@code work} on a connection in auto-commit mode. */
  public <T> T read(SqlWork<T> work) {
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException("database read failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code work} in one transaction, committed when it returns and rolled back when it
   * throws. A {@link RuntimeException} thrown by the work (for example an API error) passes
   * through unchanged after the rollback.
   */
  public <T> T transaction(SqlWork<T> work) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new StoreException("database write failed: " + e.getMessage(), e);
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      log.warn("rollback failed: {}", e.getMessage());
    }
  }

  /** Whether the store answers a trivial query within a second; for {@code /readyz}. */
  public boolean isReachable() {
    try (Connection c = dataSource.getConnection()) {
      return c.isValid(1);
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    if (checkpointer != null) {
      checkpointer.close();
    }
    dataSource.close();
  }
}
