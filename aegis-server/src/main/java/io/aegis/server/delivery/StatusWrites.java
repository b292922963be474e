package io.aegis.server.delivery;

import io.aegis.server.store.StoreException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writes that record what an agent did (acknowledged, answered, refused, a transmission's
 * outcome), kept when the store cannot take them and written again, in order, once it can.
 *
 * <p>An agent that acknowledged a message has run it; losing that fact to a store outage would
 * leave the message {@code pending} (to be sent again in the next session) though nothing is left
 * to do. So a write that fails because the store is unreachable joins a backlog that is retried
 * every {@value #RETRY_MILLIS} ms until the store answers; while the backlog is not empty, new
 * writes queue behind it so that they reach the store in the order they happened. Every status
 * write is an idempotent, monotone update (it never moves a message back), so writing one again
 * is safe. The backlog is bounded ({@code limit}); past it a write is dropped and counted
 * ({@code aegis_status_writes_dropped_total}), and the message is then settled by its next
 * transmission. A write the store refuses for another reason (a bug, not an outage) fails at
 * once, as before.
 *
 * <p>Thread-safe.
 */
final class StatusWrites {
  private static final Logger log = LoggerFactory.getLogger(StatusWrites.class);
  static final long RETRY_MILLIS = 1000;

  /** A write waiting for the store: how to try it, and who waits for its outcome. */
  private record Pending(String what, Supplier<? extends CompletableFuture<?>> attempt, CompletableFuture<Object> done) {}

  private final Vertx vertx;
  private final int limit;
  private final ArrayDeque<Pending> backlog = new ArrayDeque<>(); // guarded by this
  private boolean retrying; // guarded by this: a retry pass is scheduled or running
  private final Counter dropped;

  StatusWrites(Vertx vertx, int limit, MeterRegistry meters) {
    this.vertx = vertx;
    this.limit = limit;
    this.dropped = Counter.builder("aegis.status.writes.dropped")
        .description("Status writes (acks, responses, refusals) dropped because the backlog kept during a store "
            + "outage was full").register(meters);
    Gauge.builder("aegis.status.writes.pending", this, StatusWrites::pending)
        .description("Status writes kept during a store outage, waiting to be written").register(meters);
  }

  /**
   * Writes through {@code attempt} (a submission to the group-commit writer). Completes, with the
   * attempt's result, when the store has it, which during an outage may be much later; fails only if the store refused it
   * for a reason other than being unreachable, or the backlog was full.
   */
  @SuppressWarnings("unchecked")
  <T> CompletableFuture<T> write(String what, Supplier<CompletableFuture<T>> attempt) {
    Pending p = new Pending(what, attempt, new CompletableFuture<>());
    synchronized (this) {
      if (!backlog.isEmpty()) {
        keep(p);
        return (CompletableFuture<T>) p.done;
      }
    }
    attempt.get().whenComplete((r, e) -> {
      if (e == null) {
        p.done.complete(r);
      } else if (unreachable(e)) {
        synchronized (this) {
          keep(p);
        }
      } else {
        p.done.completeExceptionally(e);
      }
    });
    return (CompletableFuture<T>) p.done;
  }

  synchronized int pending() {
    return backlog.size();
  }

  // Holds the lock.
  private void keep(Pending p) {
    if (backlog.size() >= limit) {
      dropped.increment();
      log.error("status write dropped ({}): {} writes already wait for the store", p.what, backlog.size());
      p.done.completeExceptionally(new StoreException("the store is unreachable and the status backlog is full", null));
      return;
    }
    if (backlog.isEmpty()) {
      log.warn("the store is unreachable: keeping status writes until it is back ({})", p.what);
    }
    backlog.addLast(p);
    if (!retrying) {
      retrying = true;
      vertx.setTimer(RETRY_MILLIS, id -> retryNext());
    }
  }

  /** Writes the backlog's head; on success goes on with the next, on an outage waits and tries again. */
  private void retryNext() {
    Pending head;
    synchronized (this) {
      head = backlog.peekFirst();
      if (head == null) {
        retrying = false;
        return;
      }
    }
    head.attempt.get().whenComplete((r, e) -> {
      if (e != null && unreachable(e)) {
        vertx.setTimer(RETRY_MILLIS, id -> retryNext());
        return;
      }
      synchronized (this) {
        backlog.pollFirst();
        if (backlog.isEmpty()) {
          log.info("the store is back: every kept status write is written");
        }
      }
      if (e == null) {
        head.done.complete(r);
      } else {
        head.done.completeExceptionally(e);
      }
      retryNext();
    });
  }

  /**
   * Whether {@code e} says the store could not be reached (worth waiting for) rather than that it
   * refused the write: a connection that failed, timed out or is not available from the pool, or
   * the writer's queue being full.
   */
  static boolean unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P"))) {
        return true; // connection exception; the server shutting down
      }
      if (t instanceof java.io.IOException) {
        return true;
      }
      if (t instanceof StoreException && t.getCause() == null) {
        return true; // the writer is overloaded or restarting: nothing was refused
      }
    }
    return false;
  }
}
