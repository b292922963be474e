package io.aegis.server.delivery;

import java.time.Duration;
import java.time.Instant;

/**
 * When a queued message goes to its agent (again), and when it is given up: the one set of rules
 * that every transport follows (the WebSocket session's {@link AgentDispatcher} and the HTTP long
 * poll), on every node.
 *
 * <ul>
 *   <li>A message at or past its {@code expires_at} is expired and never sent again.
 *   <li>Attempt {@code n}'s transmission waits {@code AEGIS_ACK_TIMEOUT × 2^(n-1)} (the doubling
 *       stops at 2^10) for its acknowledgement: its <em>ack deadline</em>, counted from
 *       {@link QueuedMessage#sentAt()}.
 *   <li>Until that deadline a link that already carried the transmission waits; a <em>fresh</em>
 *       link (a new WebSocket session: the old one, and whatever it had in flight, is gone) gets
 *       the message at once.
 *   <li>A transmission after the deadline is a new attempt; a message whose attempts would exceed
 *       {@code 1 + MESSAGE_RETRY_ATTEMPTS} fails instead.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class Redelivery {
  /** What to do with a message now. */
  public enum Verdict {
    /** Past its expiry: mark it expired. */
    EXPIRE,
    /** Its attempts are used up: mark it failed ({@link #exhaustedReason}). */
    FAIL,
    /** Its last transmission still waits for the ack: look again at {@link #ackDeadline}. */
    WAIT,
    /** Send it now, as {@link #transmission}. */
    SEND
  }

  private static final int MAX_DOUBLINGS = 10;

  private final Duration ackTimeout;

  public Redelivery(Duration ackTimeout) {
    this.ackTimeout = ackTimeout;
  }

  /** How long the transmission of attempt {@code attempt} (1, 2, …) waits for its ack. */
  public Duration ackWait(int attempt) {
    return ackTimeout.multipliedBy(1L << Math.min(Math.max(attempt - 1, 0), MAX_DOUBLINGS));
  }

  /** When {@code m}'s last transmission stops waiting for its ack, or null if it was never sent. */
  public Instant ackDeadline(QueuedMessage m) {
    return m.sentAt() == null ? null : m.sentAt().plus(ackWait(m.attempts()));
  }

  /**
   * What to do with {@code m} at {@code now}.
   *
   * @param freshLink whether the link it would go through never carried it (a new session)
   */
  public Verdict verdict(QueuedMessage m, Instant now, boolean freshLink) {
    if (m.expired(now)) {
      return Verdict.EXPIRE;
    }
    Instant deadline = ackDeadline(m);
    if (deadline != null && now.isBefore(deadline) && !freshLink) {
      return Verdict.WAIT;
    }
    return m.retriesExhausted() ? Verdict.FAIL : Verdict.SEND;
  }

  /** {@code m} as transmitted now: the next attempt, sent at {@code now}. Only after {@link Verdict#SEND}. */
  public QueuedMessage transmission(QueuedMessage m, Instant now) {
    return m.transmitted(m.attempts() + 1, now);
  }

  /** The failure reason of a message whose attempts are used up. */
  public String exhaustedReason(QueuedMessage m) {
    return "retries exhausted: " + m.attempts() + " transmissions without acknowledgement";
  }
}
