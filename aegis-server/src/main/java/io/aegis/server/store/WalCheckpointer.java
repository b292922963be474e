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
 * ({@code PASSIVE}). Under a steady stream of commits a passive checkpoint never catches up
 * with the end of the log, so SQLite never starts the log over and it grows; once it is past
 * {@value #RESTART_PAGES} pages a {@code RESTART} checkpoint makes the next commit write from the
 * start of the file again. The file keeps its size (truncating it and growing it again cost
 * commits far more) and is reused.
 *
 * <p>A restarting checkpoint blocks new writers while it waits for the writer of the moment and
 * for readers still on the log, and SQLite's busy handler sleeps in growing steps while it waits:
 * with the pool's 30 s busy timeout every commit stalled 50-350 ms each time (every ~5 s at
 * 1,000 messages/s; p99 send-to-receive 181 ms, 13 ms since). The attempt therefore gets
 * {@value #RESTART_WAIT_MILLIS} ms; if that is not enough it gives up, leaving writers alone, and
 * tries again a second later. Only a log grown to {@value #FORCE_FACTOR} times the mark is
 * restarted however long that takes.
 *
 * <p>Durability is unchanged: a commit is on disk (in the log) when it returns.
 */
final class WalCheckpointer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WalCheckpointer.class);
  static final int RESTART_PAGES = 65_536;
  static final int RESTART_WAIT_MILLIS = 10;
  static final int FORCE_FACTOR = 4;

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
      if (logPages > RESTART_PAGES) {
        boolean force = logPages > FORCE_FACTOR * RESTART_PAGES;
        s.execute("PRAGMA busy_timeout = " + (force ? Database.BUSY_TIMEOUT_MILLIS : RESTART_WAIT_MILLIS));
        try (ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(RESTART)")) {
          if (rs.next() && rs.getInt(1) != 0) {
            log.debug("WAL restart deferred: {} pages, writers or readers busy", logPages);
          }
        } finally {
          s.execute("PRAGMA busy_timeout = " + Database.BUSY_TIMEOUT_MILLIS);
        }
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
