package io.aegis.server.store;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: writes submitted from many threads are run by one writer thread, up to
 * {@code maxBatch} at a time in a single transaction, so that one fsync covers them all. Each
 * submitter's future completes only after the transaction holding its write has committed —
 * a completed future still means "durable".
 *
 * <p>If any write in a batch fails, the batch is rolled back and its writes are retried one by
 * one, each in its own transaction, so one bad write cannot fail its neighbours.
 *
 * <p>The queue is bounded ({@code queueCapacity}); when it is full {@link #submit} fails the
 * future at once with a {@link StoreException} (callers answer 503) rather than block an event
 * loop. Thread-safe.
 */
public final class WriteBatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WriteBatcher.class);

  private final Database db;
  private final int maxBatch;
  private final BlockingQueue<Item<?>> queue;
  private final Thread writer;
  private final Timer commitTimer;
  private final DistributionSummary batchSizes;
  private volatile boolean closed;

  /** One queued write and where its result goes. */
  private static final class Item<T> {
    final SqlWork<T> work;
    final CompletableFuture<T> future = new CompletableFuture<>();
    T result;

    Item(SqlWork<T> work) {
      this.work = work;
    }

    void run(Connection c) throws SQLException {
      result = work.run(c);
    }

    void complete() {
      future.complete(result);
    }

    void fail(Throwable t) {
      future.completeExceptionally(t);
    }
  }

  public WriteBatcher(Database db, String name, int maxBatch, int queueCapacity, MeterRegistry metrics) {
    this.db = db;
    this.maxBatch = maxBatch;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.commitTimer = Timer.builder("aegis.store.commit")
        .description("Group commits of the " + name + " writer")
        .tag("writer", name)
        .publishPercentileHistogram()
        .register(metrics);
    this.batchSizes = DistributionSummary.builder("aegis.store.batch.size")
        .description("Writes per group commit")
        .tag("writer", name)
        .register(metrics);
    this.writer = Thread.ofPlatform().name("aegis-writer-" + name).daemon(true).start(this::loop);
  }

  /** Queues {@code work}; the future completes after its transaction commits. */
  public <T> CompletableFuture<T> submit(SqlWork<T> work) {
    Item<T> item = new Item<>(work);
    if (closed) {
      item.fail(new StoreException("the store writer is shut down", null));
    } else if (!queue.offer(item)) {
      item.fail(new StoreException("the store writer is overloaded (" + queue.size() + " writes queued)", null));
    }
    return item.future;
  }

  private void loop() {
    List<Item<?>> batch = new ArrayList<>(maxBatch);
    while (!closed || !queue.isEmpty()) {
      try {
        Item<?> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        runBatch(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.error("store writer failed a batch", e);
        batch.forEach(i -> i.fail(e));
      } finally {
        batch.clear();
      }
    }
  }

  private void runBatch(List<Item<?>> batch) {
    long start = System.nanoTime();
    try {
      db.transaction(c -> {
        for (Item<?> item : batch) {
          item.run(c);
        }
        return null;
      });
      batch.forEach(Item::complete);
    } catch (RuntimeException e) {
      if (batch.size() == 1) {
        batch.get(0).fail(e);
      } else {
        for (Item<?> item : batch) {
          try {
            db.transaction(c -> {
              item.run(c);
              return null;
            });
            item.complete();
          } catch (RuntimeException single) {
            item.fail(single);
          }
        }
      }
    }
    commitTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    batchSizes.record(batch.size());
  }

  /** Stops taking writes, finishes those queued, and waits for the writer (at most 10 s). */
  @Override
  public void close() {
    closed = true;
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Item<?> left;
    while ((left = queue.poll()) != null) {
      left.fail(new StoreException("the store writer shut down before this write", null));
    }
  }
}
