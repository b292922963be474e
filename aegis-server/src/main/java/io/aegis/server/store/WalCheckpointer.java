package io.aegis.server.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves SQLite's write-ahead log into the database file in the background. Left to itself,
 * SQLite checkpoints inside whichever commit pushes the log past 1000 pages, so every few
 * hundred commits the group-commit writer stalls while a checkpoint copies and syncs the
 * database; with auto-checkpoints off (see {@link Database}) commits only append to the log and
 * sync it, and this thread copies the log over once a second without blocking them
 * ({@code PASSIVE}). When readers keep the log from being reset it is truncated the moment it
 * can be, once it has grown past {@value #TRUNCATE_PAGES} pages.
 *
 * <p>Durability is unchanged: a commit is on disk (in the log) when it returns.
 */
final class WalCheckpointer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WalCheckpointer.class);
  static final int TRUNCATE_PAGES = 65_536;

  private final DataSource dataSource;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("aegis-wal-checkpoint").daemon(true).factory());

  WalCheckpointer(DataSource dataSource) {
    this.dataSource = dataSource;
    timer.scheduleWithFixedDelay(this::checkpoint, 1, 1, TimeUnit.SECONDS);
  }

  private void checkpoint() {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      int logPages;
      try (ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
        logPages = rs.next() ? rs.getInt(2) : 0;
      }
      if (logPages > TRUNCATE_PAGES) {
        s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
      }
    } catch (SQLException | RuntimeException e) {
      log.debug("WAL checkpoint skipped: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
