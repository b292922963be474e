package io.aegis.server.delivery;

import java.time.Duration;
import java.time.Instant;

/**
 * When a queued message goes to its agent (again), and when it is given up: the one set of rules
 * that every transport follows (the WebSocket session's {@link AgentDispatcher} and the HTTP long
 * poll), on every node. The retry budget is measured in time, not in reconnects.
 *
 * <ul>
 *   <li>A message at or past its {@code expires_at} is expired and never sent again.
 *   <li>Delivery happens in <em>attempts</em>. Attempt {@code n} begins with a transmission at
 *       {@link QueuedMessage#sentAt()} and lasts until its <em>ack deadline</em>,
 *       {@code sentAt + AEGIS_ACK_TIMEOUT × 2^(n-1)} (the doubling stops at 2^10).
 *   <li>Before the deadline, a link that already carried the attempt waits (an HTTP poll); a
 *       <em>fresh</em> link (a new WebSocket session: the old one, and what it had in flight, is
 *       gone) gets the message at once, as a repeat of the same attempt: reconnects cost no
 *       attempt, so a flapping connection cannot spend a message's budget.
 *   <li>A transmission after the deadline begins the next attempt; a message whose attempts would
 *       exceed {@code 1 + MESSAGE_RETRY_ATTEMPTS} fails instead. A command that crashes its agent
 *       every time therefore fails after at most
 *       {@code AEGIS_ACK_TIMEOUT × (2^(1 + MESSAGE_RETRY_ATTEMPTS) − 1)} (7.5 minutes with the
 *       defaults), whatever the number of reconnects.
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
    /** Its attempt still waits for the ack on this link: look again at {@link #ackDeadline}. */
    WAIT,
    /** Send it now, as {@link #transmission}. */
    SEND
  }

  private static final int MAX_DOUBLINGS = 10;

  private final Duration ackTimeout;

  public Redelivery(Duration ackTimeout) {
    this.ackTimeout = ackTimeout;
  }

  /** How long attempt {@code attempt} (1, 2, …) waits for its ack. */
  public Duration ackWait(int attempt) {
    return ackTimeout.multipliedBy(1L << Math.min(Math.max(attempt - 1, 0), MAX_DOUBLINGS));
  }

  /** When {@code m}'s current attempt ends without an ack, or null if it was never sent. */
  public Instant ackDeadline(QueuedMessage m) {
    return m.sentAt() == null ? null : m.sentAt().plus(ackWait(m.attempts()));
  }

  /**
   * What to do with {@code m} at {@code now}.
   *
   * @param freshLink whether the link it would go through never carried its current attempt (a new session)
   */
  public Verdict verdict(QueuedMessage m, Instant now, boolean freshLink) {
    if (m.expired(now)) {
      return Verdict.EXPIRE;
    }
    if (withinAttempt(m, now)) {
      return freshLink ? Verdict.SEND : Verdict.WAIT;
    }
    return m.retriesExhausted() ? Verdict.FAIL : Verdict.SEND;
  }

  /**
   * {@code m} as transmitted now (only after {@link Verdict#SEND}): a repeat of its current
   * attempt if that attempt's deadline has not passed, else the next attempt, beginning now.
   */
  public QueuedMessage transmission(QueuedMessage m, Instant now) {
    return withinAttempt(m, now) ? m : m.transmitted(m.attempts() + 1, now);
  }

  /** Whether a transmission at {@code now} repeats {@code m}'s current attempt rather than beginning one. */
  public boolean withinAttempt(QueuedMessage m, Instant now) {
    Instant deadline = ackDeadline(m);
    return deadline != null && now.isBefore(deadline);
  }

  /** The failure reason of a message whose attempts are used up. */
  public String exhaustedReason(QueuedMessage m) {
    return "attempts used up: " + m.attempts() + " attempts without acknowledgement (1 + MESSAGE_RETRY_ATTEMPTS="
        + m.maxRetries() + "), each waiting its ack deadline; the last began at " + m.sentAt();
  }
}
