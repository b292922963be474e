package io.aegis.agent;

import io.aegis.protocol.CloseCode;
import io.aegis.protocol.IdentityPublicKey;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's callback thread: it calls the {@link Listener} and completes send futures, in
 * the order the I/O thread asks, so that application code (a listener, a {@code thenRun} stage)
 * never runs on the I/O thread and can never stall the connection.
 *
 * <p>Thread-safe.
 */
final class Callbacks {

  private static final Logger log = LoggerFactory.getLogger(Callbacks.class);

  private final Listener listener;
  private final Threads threads;
  private final ExecutorService thread;

  Callbacks(Listener listener, String agentId) {
    this.listener = listener;
    this.threads = new Threads("aegis-agent-callbacks-" + agentId);
    this.thread = Executors.newSingleThreadExecutor(threads);
  }

  void connected(SessionInfo session) {
    run("connected", () -> listener.connected(session));
  }

  void disconnected(int code, String reason) {
    run("disconnected", () -> listener.disconnected(code, reason));
  }

  void reconnecting(Duration delay, CloseCode.Reaction reaction) {
    run("reconnecting", () -> listener.reconnecting(delay, reaction));
  }

  void stopped(StopReason reason) {
    run("stopped", () -> listener.stopped(reason));
  }

  void rejected(RejectedMessage message) {
    run("rejectedMessage", () -> listener.rejectedMessage(message));
  }

  void transportChanged(Transport transport) {
    run("transportChanged", () -> listener.transportChanged(transport));
  }

  void backendKeyAnnounced(IdentityPublicKey key) {
    run("backendKeyAnnounced", () -> listener.backendKeyAnnounced(key));
  }

  void backendKeyPromoted(IdentityPublicKey key) {
    run("backendKeyPromoted", () -> listener.backendKeyPromoted(key));
  }

  void error(Throwable error) {
    run("error", () -> listener.error(error));
  }

  <T> void complete(CompletableFuture<T> future, T value) {
    execute(() -> future.complete(value));
  }

  void fail(CompletableFuture<?> future, Throwable error) {
    execute(() -> future.completeExceptionally(error));
  }

  private void run(String what, Runnable call) {
    execute(() -> {
      try {
        call.run();
      } catch (RuntimeException | Error e) {
        log.warn("Listener.{} threw; ignored", what, e);
      }
    });
  }

  private void execute(Runnable r) {
    try {
      thread.execute(r);
    } catch (RejectedExecutionException e) {
      // After shutdown: run here rather than lose a completion (only close() gets here).
      r.run();
    }
  }

  /** True if the caller runs on the callback thread. */
  boolean onCallbackThread() {
    return threads.isCurrent();
  }

  /** Runs what is queued, then ends the thread (waits up to {@code timeout} unless called from it). */
  void shutdown(Duration timeout) {
    thread.shutdown();
    if (!threads.isCurrent()) {
      try {
        thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
