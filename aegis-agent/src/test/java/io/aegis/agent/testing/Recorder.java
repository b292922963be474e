package io.aegis.agent.testing;

import io.aegis.agent.Listener;
import io.aegis.agent.RejectedMessage;
import io.aegis.agent.SessionInfo;
import io.aegis.agent.StopReason;
import io.aegis.agent.Transport;
import io.aegis.protocol.CloseCode;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Listener} that records every event in order, so that tests read like the protocol:
 * {@code recorder.connected(); recorder.disconnected(4003); recorder.stopped(REVOKED);}.
 */
public final class Recorder implements Listener {

  public record Connected(SessionInfo session) { }

  public record Disconnected(int code, String reason) { }

  public record Reconnecting(Duration delay, CloseCode.Reaction reaction) { }

  public record Stopped(StopReason reason) { }

  public record Rejected(RejectedMessage message) { }

  public record KeyAnnounced(IdentityPublicKey key) { }

  public record KeyPromoted(IdentityPublicKey key) { }

  public record TransportChanged(Transport transport) { }

  public record Error(Throwable error) { }

  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private final boolean recordErrors;

  /** Records everything but {@link #error} (which tests ask for with {@link #errors()}). */
  public Recorder() {
    this(false);
  }

  public Recorder(boolean recordErrors) {
    this.recordErrors = recordErrors;
  }

  private final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();

  @Override
  public void connected(SessionInfo session) {
    events.add(new Connected(session));
  }

  @Override
  public void disconnected(int code, String reason) {
    events.add(new Disconnected(code, reason));
  }

  @Override
  public void reconnecting(Duration delay, CloseCode.Reaction reaction) {
    events.add(new Reconnecting(delay, reaction));
  }

  @Override
  public void stopped(StopReason reason) {
    events.add(new Stopped(reason));
  }

  @Override
  public void rejectedMessage(RejectedMessage message) {
    events.add(new Rejected(message));
  }

  @Override
  public void backendKeyAnnounced(IdentityPublicKey nextKey) {
    events.add(new KeyAnnounced(nextKey));
  }

  @Override
  public void backendKeyPromoted(IdentityPublicKey currentKey) {
    events.add(new KeyPromoted(currentKey));
  }

  @Override
  public void transportChanged(Transport transport) {
    events.add(new TransportChanged(transport));
  }

  @Override
  public void error(Throwable error) {
    errors.add(error);
    if (recordErrors) {
      events.add(new Error(error));
    }
  }

  /** Errors reported so far (not part of the event sequence by default). */
  public BlockingQueue<Throwable> errors() {
    return errors;
  }

  /** The next event, which must be of {@code type}. */
  public <T> T next(Class<T> type) throws InterruptedException {
    Object e = events.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    if (e == null) {
      throw new AssertionError("no listener event within " + Waits.EVENT + "; expected " + type.getSimpleName());
    }
    if (!type.isInstance(e)) {
      throw new AssertionError("expected " + type.getSimpleName() + ", got " + e);
    }
    return type.cast(e);
  }

  public SessionInfo connected() throws InterruptedException {
    return next(Connected.class).session();
  }

  /**
   * Skips failed attempts ({@link Disconnected}, {@link Reconnecting}) until the client connects:
   * for a test in which some attempts may fail first (a timeout that a busy machine can hit).
   */
  public SessionInfo connectedEventually() throws InterruptedException {
    long deadline = System.nanoTime() + Waits.EVENT.toNanos();
    while (true) {
      Object e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e instanceof Connected c) {
        return c.session();
      }
      if (!(e instanceof Disconnected) && !(e instanceof Reconnecting)) {
        throw new AssertionError("expected Connected, got " + (e == null ? "nothing within " + Waits.EVENT : e));
      }
    }
  }

  public Disconnected disconnected() throws InterruptedException {
    return next(Disconnected.class);
  }

  public Reconnecting reconnecting() throws InterruptedException {
    return next(Reconnecting.class);
  }

  public Transport transportChanged() throws InterruptedException {
    return next(TransportChanged.class).transport();
  }

  public StopReason stopped() throws InterruptedException {
    return next(Stopped.class).reason();
  }

  public RejectedMessage rejected() throws InterruptedException {
    return next(Rejected.class).message();
  }

  /** Asserts nothing happens within {@code d}. */
  public void expectNothing(Duration d) throws InterruptedException {
    Object e = events.poll(d.toMillis(), TimeUnit.MILLISECONDS);
    if (e != null) {
      throw new AssertionError("unexpected listener event: " + e);
    }
  }
}
