package io.aegis.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.config.Config;
import io.aegis.server.testing.Waits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A lazy write ({@link WriteBatcher#submitLazily}, an agent's ack) goes with the next group
 * commit, commits alone once its linger has passed, and is not lost when the writer closes.
 */
class WriteBatcherLazyWritesTest {
  private static final Duration LONG = Duration.ofMinutes(10);

  private static Database open() throws Exception {
    Path dir = Files.createTempDirectory("aegis-lazy-");
    return Database.open(Config.fromEnvironment(Map.of("AEGIS_DATA_DIR", dir.toString(),
        "AEGIS_ADMIN_TOKEN", "t".repeat(32))));
  }

  private static BatchedWrite insert(String value) {
    return new BatchedWrite() {
      @Override
      public String sql() {
        return "INSERT INTO lazy_test (v) VALUES (?)";
      }

      @Override
      public void bind(PreparedStatement ps) throws java.sql.SQLException {
        ps.setString(1, value);
      }
    };
  }

  private static int rows(Database db) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM lazy_test"); ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    });
  }

  private static void createTable(WriteBatcher batcher) throws Exception {
    batcher.submit(c -> {
      try (PreparedStatement ps = c.prepareStatement("CREATE TABLE lazy_test (v TEXT)")) {
        return ps.executeUpdate();
      }
    }).get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void aLazyWriteGoesWithTheNextCommitLongBeforeItsLinger() throws Exception {
    try (Database db = open(); WriteBatcher batcher = new WriteBatcher(db, "test", 100, 100, new SimpleMeterRegistry())) {
      createTable(batcher);
      CompletableFuture<Integer> ack = batcher.submitLazily(insert("ack"), LONG);
      batcher.submit(insert("send")).get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      assertThat(ack.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(rows(db)).isEqualTo(2);
    }
  }

  @Test
  void aLazyWriteAloneCommitsOnceItsLingerHasPassed() throws Exception {
    try (Database db = open(); WriteBatcher batcher = new WriteBatcher(db, "test", 100, 100, new SimpleMeterRegistry())) {
      createTable(batcher);
      Duration linger = Duration.ofMillis(200);
      long start = System.nanoTime();
      CompletableFuture<Integer> ack = batcher.submitLazily(insert("ack"), linger);
      assertThat(ack.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(linger);
      assertThat(rows(db)).isEqualTo(1);
    }
  }

  @Test
  void aClosingWriterCommitsTheLazyWritesItHolds() throws Exception {
    try (Database db = open()) {
      CompletableFuture<Integer> ack;
      try (WriteBatcher batcher = new WriteBatcher(db, "test", 100, 100, new SimpleMeterRegistry())) {
        createTable(batcher);
        ack = batcher.submitLazily(insert("ack"), LONG);
      }
      assertThat(ack.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(rows(db)).isEqualTo(1);
    }
  }
}
