package io.aegis.server.store;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
  private final BlockingQueue<Item<?>> lazy; // writes that go with the next commit (see submitLazily)
  private final Thread writer;
  private final Timer commitTimer;
  private final DistributionSummary batchSizes;
  private final Counter failedWrites;
  private final Counter refusedWrites;
  private volatile boolean closed;
  // Futures complete here, not on the writer: what depends on a commit (handing a message to a
  // session, answering a request) runs there, and the writer goes straight on to the next batch.
  private final ExecutorService completions;
  // The writer thread's own connection and its statements (writer thread only).
  private StatementCache cache;
  private long connectedAt;
  private static final long RECYCLE_NANOS = TimeUnit.MINUTES.toNanos(10);
  private static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private long lastUsed;
  // The transaction being run (writer thread only): its connection, and the tails its writes added.
  private Connection current;
  private final Map<Object, Tail> tails = new LinkedHashMap<>();

  /**
   * Work that the writes of one transaction add to, run once after all of them and before the
   * commit: the audit log appends the entries of every request in a group commit under one lock
   * of its chain's head, in one JDBC batch.
   */
  @FunctionalInterface
  public interface Tail {
    void run(Connection c) throws SQLException;
  }

  /** One queued write and where its result goes. */
  private static final class Item<T> {
    final SqlWork<T> work;
    final BatchedWrite batched; // or null: then work
    final CompletableFuture<T> future = new CompletableFuture<>();
    long deadlineNanos = Long.MAX_VALUE; // System.nanoTime() after which it must not run
    long dueNanos; // a lazy write's System.nanoTime() by which it commits even alone
    T result;

    Item(SqlWork<T> work) {
      this.work = work;
      this.batched = null;
    }

    Item(BatchedWrite batched) {
      this.work = c -> {
        try (PreparedStatement ps = c.prepareStatement(batched.sql())) {
          batched.bind(ps);
          @SuppressWarnings("unchecked")
          T count = (T) Integer.valueOf(ps.executeUpdate());
          return count;
        }
      };
      this.batched = batched;
    }

    void run(Connection c) throws SQLException {
      result = work.run(c);
    }

    void complete(Executor completions) {
      T r = result;
      completions.execute(() -> future.complete(r));
    }

    void fail(Executor completions, Throwable t) {
      completions.execute(() -> future.completeExceptionally(t));
    }
  }

  public WriteBatcher(Database db, String name, int maxBatch, int queueCapacity, MeterRegistry metrics) {
    this.db = db;
    this.maxBatch = maxBatch;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.lazy = new ArrayBlockingQueue<>(queueCapacity);
    this.commitTimer = Timer.builder("aegis.store.commit")
        .description("Group commits of the " + name + " writer")
        .tag("writer", name)
        .publishPercentileHistogram()
        .register(metrics);
    this.batchSizes = DistributionSummary.builder("aegis.store.batch.size")
        .description("Writes per group commit")
        .tag("writer", name)
        .register(metrics);
    // What an operator alerts on (deploy/prometheus/alerts.yml): writes whose caller got an error.
    this.failedWrites = storeErrors(metrics, name, "write_failed");
    this.refusedWrites = storeErrors(metrics, name, "writer_full");
    this.completions = Executors.newSingleThreadExecutor(
        Thread.ofPlatform().name("aegis-commits-" + name).daemon(true).factory());
    this.writer = Thread.ofPlatform().name("aegis-writer-" + name).daemon(true).start(this::loop);
  }

  /**
   * The counter {@code aegis_store_errors_total{writer, kind}}: {@code write_failed} (its
   * transaction failed), {@code writer_full} (refused: the writer's queue was full), and
   * {@code request_failed} for REST requests that the store failed (writer {@code api}).
   */
  public static Counter storeErrors(MeterRegistry metrics, String writer, String kind) {
    return Counter.builder("aegis.store.errors")
        .description("Store operations that failed, by writer and kind")
        .tag("writer", writer)
        .tag("kind", kind)
        .register(metrics);
  }

  /** Queues {@code work}; the future completes after its transaction commits. */
  public <T> CompletableFuture<T> submit(SqlWork<T> work) {
    return enqueue(new Item<>(work));
  }

  /**
   * As {@link #submit(SqlWork)}, but the work is never run once {@code deadlineNanos}
   * ({@link System#nanoTime}) has passed: it then fails with {@link DeadlineExceeded}. The check
   * comes just before the transaction that would run it, so a write that was late never commits.
   */
  public <T> CompletableFuture<T> submit(SqlWork<T> work, long deadlineNanos) {
    Item<T> item = new Item<>(work);
    item.deadlineNanos = deadlineNanos;
    return enqueue(item);
  }

  /**
   * Queues a write that may share a JDBC batch with others of the same SQL; the future
   * completes, after the commit, with its update count.
   */
  public CompletableFuture<Integer> submit(BatchedWrite write) {
    return enqueue(new Item<Integer>(write));
  }

  /** As {@link #submit(BatchedWrite)}, never run once {@code deadlineNanos} has passed (see {@link #submit(SqlWork, long)}). */
  public CompletableFuture<Integer> submit(BatchedWrite write, long deadlineNanos) {
    Item<Integer> item = new Item<>(write);
    item.deadlineNanos = deadlineNanos;
    return enqueue(item);
  }

  /**
   * Queues a write that nobody waits on promptly (an agent's ack): it goes with the next group
   * commit, or in one of its own once it has waited {@code linger}. A send's commit and its ack's
   * are otherwise two commits, each an fsync, whenever the rate is too low for group commit to
   * share them. The price: a crash within {@code linger} loses the write, which for an ack means
   * the message is delivered again (delivery is at least once; agents drop an id they have seen).
   */
  public CompletableFuture<Integer> submitLazily(BatchedWrite write, java.time.Duration linger) {
    Item<Integer> item = new Item<>(write);
    item.dueNanos = System.nanoTime() + linger.toNanos();
    return enqueue(item, lazy);
  }

  private <T> CompletableFuture<T> enqueue(Item<T> item) {
    return enqueue(item, queue);
  }

  private <T> CompletableFuture<T> enqueue(Item<T> item, BlockingQueue<Item<?>> into) {
    if (closed) {
      item.future.completeExceptionally(new StoreException("the store writer is shut down", null));
    } else if (!into.offer(item)) {
      refusedWrites.increment();
      item.future.completeExceptionally(
          new StoreException("the store writer is overloaded (" + into.size() + " writes queued)", null));
    }
    return item.future;
  }

  private void loop() {
    List<Item<?>> batch = new ArrayList<>(maxBatch);
    while (!closed || !queue.isEmpty() || !lazy.isEmpty()) {
      try {
        Item<?> oldestLazy = lazy.peek();
        // Wakes at least every 100 ms to see whether the writer is closing.
        long wait = Math.min(POLL_NANOS, oldestLazy == null ? POLL_NANOS : oldestLazy.dueNanos - System.nanoTime());
        Item<?> first = queue.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
        if (first != null) {
          batch.add(first);
          queue.drainTo(batch, maxBatch - 1);
        }
        // Lazy writes ride with any commit, and commit alone once the oldest is due.
        if (first != null || closed || (oldestLazy != null && System.nanoTime() - oldestLazy.dueNanos >= 0)) {
          lazy.drainTo(batch, maxBatch - batch.size());
        }
        if (batch.isEmpty()) {
          continue;
        }
        dropLate(batch);
        if (!batch.isEmpty()) {
          runBatch(batch);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.error("store writer failed a batch", e);
        batch.forEach(i -> failed(i, e));
      } finally {
        batch.clear();
      }
    }
    dropConnection();
  }

  private void runBatch(List<Item<?>> batch) {
    long start = System.nanoTime();
    try {
      inTransaction(c -> {
        runAll(c, batch);
        return null;
      });
      batch.forEach(i -> i.complete(completions));
    } catch (RuntimeException e) {
      if (batch.size() == 1) {
        failed(batch.get(0), e);
      } else {
        for (Item<?> item : batch) {
          if (item.deadlineNanos != Long.MAX_VALUE && System.nanoTime() - item.deadlineNanos > 0) {
            item.fail(completions, new DeadlineExceeded()); // late after the failed batch: not run
            continue;
          }
          try {
            inTransaction(c -> {
              item.run(c);
              return null;
            });
            item.complete(completions);
          } catch (RuntimeException single) {
            failed(item, single);
          }
        }
      }
    }
    commitTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    batchSizes.record(batch.size());
  }

  /** Fails, without running them, the writes whose deadline has passed. */
  private void dropLate(List<Item<?>> batch) {
    long now = System.nanoTime();
    batch.removeIf(item -> {
      if (item.deadlineNanos != Long.MAX_VALUE && now - item.deadlineNanos > 0) {
        item.fail(completions, new DeadlineExceeded());
        return true;
      }
      return false;
    });
  }

  private void failed(Item<?> item, RuntimeException e) {
    failedWrites.increment();
    item.fail(completions, e);
  }

  /**
   * Runs the batch's writes in order, except that writes of one {@link BatchedWrite} SQL text
   * wait and go together as one JDBC batch, run before the next write that is not batched.
   */
  private static void runAll(Connection c, List<Item<?>> batch) throws SQLException {
    Map<String, List<Item<?>>> pending = new LinkedHashMap<>();
    for (Item<?> item : batch) {
      if (item.batched != null) {
        pending.computeIfAbsent(item.batched.sql(), k -> new ArrayList<>()).add(item);
      } else {
        flush(c, pending);
        item.run(c);
      }
    }
    flush(c, pending);
  }

  @SuppressWarnings("unchecked")
  private static void flush(Connection c, Map<String, List<Item<?>>> pending) throws SQLException {
    for (Map.Entry<String, List<Item<?>>> group : pending.entrySet()) {
      List<Item<?>> items = group.getValue();
      try (PreparedStatement ps = c.prepareStatement(group.getKey())) {
        for (Item<?> item : items) {
          item.batched.bind(ps);
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        for (int i = 0; i < items.size(); i++) {
          // A driver that rewrites a batch (multi-row insert) reports SUCCESS_NO_INFO: one row each.
          int n = i < counts.length && counts[i] != java.sql.Statement.SUCCESS_NO_INFO ? counts[i] : 1;
          ((Item<Integer>) items.get(i)).result = n;
        }
      }
    }
    pending.clear();
  }

  /**
   * Runs {@code work} in one transaction on the writer's own connection, whose prepared
   * statements are kept between batches. The connection is given back and taken anew every
   * {@link #RECYCLE_NANOS}, and dropped after any failure.
   */
  private <T> T inTransaction(SqlWork<T> work) {
    try {
      StatementCache cache = writerConnection();
      Connection c = cache.raw();
      // Auto-commit between batches: SQLite's driver begins the next (IMMEDIATE) transaction
      // right after a commit, which would hold the write lock while the writer is idle.
      c.setAutoCommit(false);
      current = cache.wrap();
      try {
        T result = work.run(current);
        for (Tail tail : tails.values()) {
          tail.run(current);
        }
        c.commit();
        c.setAutoCommit(true);
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
          c.setAutoCommit(true);
        } catch (SQLException rollbackFailed) {
          dropConnection();
        }
        if (e instanceof SQLException) {
          dropConnection(); // it may be broken; a fresh one costs little next time
        }
        throw e;
      } finally {
        tails.clear();
        current = null;
      }
    } catch (SQLException e) {
      throw new StoreException("database write failed: " + e.getMessage(), e);
    }
  }

  private StatementCache writerConnection() throws SQLException {
    long now = System.nanoTime();
    if (cache != null && now - connectedAt > RECYCLE_NANOS) {
      dropConnection();
    }
    // A connection the writer held while idle may have died meanwhile (a silent partition of the
    // store that has healed since): checked before it carries a write, so that the first write
    // after the outage does not fail on it. Under load the writer is never idle this long.
    if (cache != null && now - lastUsed > IDLE_CHECK_NANOS && !cache.raw().isValid(2)) {
      dropConnection();
    }
    lastUsed = now;
    if (cache == null) {
      Connection c = db.dataSource().getConnection();
      cache = new StatementCache(c);
      connectedAt = System.nanoTime();
    }
    return cache;
  }

  private void dropConnection() {
    if (cache == null) {
      return;
    }
    cache.close();
    try {
      cache.raw().close();
    } catch (SQLException ignored) {
      // already broken
    }
    cache = null;
  }

  /**
   * The tail registered under {@code key} in the transaction of {@code c}, made by {@code make}
   * if this transaction has none yet. Only from a write this writer is running ({@code c} is the
   * connection it was given): a rolled-back transaction drops its tails, and a write run again
   * alone adds to the tail of its new transaction.
   */
  @SuppressWarnings("unchecked")
  public <T extends Tail> T tail(Connection c, Object key, java.util.function.Supplier<T> make) {
    if (c == null || c != current) {
      throw new IllegalStateException("a tail is added from a write running in this writer's transaction");
    }
    return (T) tails.computeIfAbsent(key, k -> make.get());
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
    while ((left = queue.poll()) != null || (left = lazy.poll()) != null) {
      left.future.completeExceptionally(new StoreException("the store writer shut down before this write", null));
    }
    completions.shutdown();
    try {
      completions.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
