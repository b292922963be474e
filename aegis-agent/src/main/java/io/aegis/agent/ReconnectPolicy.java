package io.aegis.agent;

import io.aegis.protocol.CloseCode;
import java.time.Duration;

/**
 * Chooses what follows a {@link Disconnect}: stop, reconnect at once, or wait a normal or long
 * backoff ({@link CloseCode.Reaction}).
 *
 * <ul>
 * <li>A session that stayed established for at least {@code stableAfter} resets both backoffs:
 *     the next failure waits at most the base again.</li>
 * <li>{@link CloseCode.Reaction#RECONNECT_NOW} (4002, session expired) reconnects with no wait
 *     once; if the session that follows ends the same way before becoming stable, the normal
 *     backoff applies, so a gateway that keeps expiring fresh sessions is not hammered.</li>
 * <li>{@link CloseCode.Reaction#RECONNECT_SOON} (4009, the node drains) waits a random pause of
 *     at most the normal backoff's base and leaves the backoff fresh: a rolling restart is no
 *     failure, and the pause spreads the node's agents over the others.</li>
 * <li>Normal and long backoff count their attempts separately.</li>
 * </ul>
 *
 * <p>Not thread-safe; used on the client's I/O thread.
 */
final class ReconnectPolicy {

  /** The decision: the reaction applied and the wait ({@code null} for {@link CloseCode.Reaction#STOP}). */
  record Decision(CloseCode.Reaction reaction, Duration delay) {
  }

  private final Backoff normal;
  private final Backoff longBackoff;
  private final Duration stableAfter;
  private boolean immediateUsed;

  ReconnectPolicy(Backoff normal, Backoff longBackoff, Duration stableAfter) {
    this.normal = normal;
    this.longBackoff = longBackoff;
    this.stableAfter = stableAfter;
  }

  /** Starts both backoffs from their base again (the client is back on the WebSocket after polling). */
  void reset() {
    normal.reset();
    longBackoff.reset();
    immediateUsed = false;
  }

  Decision decide(Disconnect d) {
    if (d.established() && d.sessionLasted().compareTo(stableAfter) >= 0) {
      normal.reset();
      longBackoff.reset();
      immediateUsed = false;
    }
    CloseCode.Reaction reaction = d.reaction();
    return switch (reaction) {
      case STOP -> new Decision(reaction, null);
      case RECONNECT_NOW -> {
        if (d.established() && !immediateUsed) {
          immediateUsed = true;
          yield new Decision(reaction, Duration.ZERO);
        }
        yield new Decision(CloseCode.Reaction.RECONNECT_BACKOFF, normal.next());
      }
      case RECONNECT_SOON -> {
        // The first wait of a fresh backoff: uniform in [0, base]; the backoff stays fresh.
        normal.reset();
        Duration soon = normal.next();
        normal.reset();
        yield new Decision(reaction, soon);
      }
      case RECONNECT_BACKOFF -> new Decision(reaction, normal.next());
      case RECONNECT_BACKOFF_LONG -> new Decision(reaction, longBackoff.next());
    };
  }
}
