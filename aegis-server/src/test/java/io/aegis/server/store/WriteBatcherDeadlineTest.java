package io.aegis.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.server.config.Config;
import io.aegis.server.testing.Waits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A write whose deadline passed while it waited for the writer is never run. */
class WriteBatcherDeadlineTest {

  @Test
  void aWriteThatWaitedPastItsDeadlineFailsAndNeverRuns() throws Exception {
    Path dir = Files.createTempDirectory("aegis-deadline-");
    try (Database db = Database.open(Config.fromEnvironment(Map.of("AEGIS_DATA_DIR", dir.toString(),
        "AEGIS_ADMIN_TOKEN", "t".repeat(32))));
         WriteBatcher batcher = new WriteBatcher(db, "test", 100, 100, new SimpleMeterRegistry())) {
      CountDownLatch holding = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      // A write that holds the writer, as a store that stopped answering would.
      CompletableFuture<Object> slow = batcher.submit(c -> {
        holding.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return null;
      });
      assertThat(holding.await(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      AtomicBoolean ran = new AtomicBoolean();
      CompletableFuture<Object> late = batcher.submit(c -> {
        ran.set(true);
        return null;
      }, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
      CompletableFuture<Object> patient = batcher.submit(c -> null, System.nanoTime() + TimeUnit.MINUTES.toNanos(5));
      Thread.sleep(300); // a lower bound: the deadline has passed for certain
      release.countDown();

      slow.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      assertThatThrownBy(() -> late.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(DeadlineExceeded.class);
      patient.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      assertThat(ran).isFalse();
    }
  }
}
