package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Where a broadcast stands, from its answer ({@code counts}: sent to connected agents, queued for
 * offline ones, refused at once) and from {@code GET /api/v1/messages/{id}} ({@code recipients}:
 * the deliveries by status).
 *
 * <p>It has <em>settled</em> when no delivery is pending or sent any more, or when the only ones
 * left are pending deliveries no more numerous than the agents that were offline when it was
 * accepted, and the counts did not move since the previous look: those wait for their agents to
 * connect (or for the message to expire), which may take hours.
 *
 * @param connected  agents that had a session when it was accepted
 * @param offline    agents queued while offline ({@code queue_offline})
 * @param refused    agents refused at once (offline without {@code queue_offline}, or a full queue)
 * @param delivered  deliveries acknowledged
 * @param failed     deliveries failed, expired or cancelled
 * @param pending    deliveries not yet transmitted
 * @param sent       deliveries transmitted, not yet acknowledged
 */
record BroadcastProgress(int connected, int offline, int refused, long delivered, long failed, long pending, long sent) {

  /** The progress right after the answer, before the first look at the message. */
  static BroadcastProgress accepted(JsonNode answer) {
    JsonNode c = answer.path("counts");
    int connected = c.path("sent_to").asInt();
    int offline = c.path("queued").asInt();
    return new BroadcastProgress(connected, offline, c.path("failed").asInt(), 0, 0, connected + offline, 0);
  }

  /** The same broadcast, with the deliveries as {@code GET /api/v1/messages/{id}} counts them. */
  BroadcastProgress with(JsonNode message) {
    JsonNode r = message.path("recipients");
    return new BroadcastProgress(connected, offline, refused, r.path("delivered").asLong(),
        r.path("failed").asLong() + r.path("expired").asLong() + r.path("cancelled").asLong(),
        r.path("pending").asLong(), r.path("sent").asLong());
  }

  long recipients() {
    return (long) connected + offline + refused;
  }

  /** Whom it reached when accepted: {@code 3 (2 connected, 1 queued while offline, 0 refused)}. */
  String reach() {
    return recipients() + " (" + connected + " connected, " + offline + " queued while offline, " + refused
        + " refused)";
  }

  long inFlight() {
    return pending + sent;
  }

  /** Whether following it further would only wait for offline agents; {@code previous} is the last look. */
  boolean settled(BroadcastProgress previous) {
    if (inFlight() == 0) {
      return true;
    }
    return sent == 0 && pending <= offline && sameCounts(previous);
  }

  private boolean sameCounts(BroadcastProgress p) {
    return p != null && delivered == p.delivered && failed == p.failed && pending == p.pending && sent == p.sent;
  }

  /** One line for people: {@code 998/1000 delivered, 1 failed, 1 in flight (…)}. */
  String line() {
    StringBuilder sb = new StringBuilder();
    sb.append(delivered).append('/').append(recipients()).append(" delivered");
    sb.append(", ").append(failed + refused).append(" failed");
    if (refused > 0) {
      sb.append(" (").append(refused).append(" refused when sent: offline or queue full)");
    }
    sb.append(", ").append(inFlight()).append(" in flight");
    if (offline > 0) {
      sb.append(" (").append(offline).append(" queued for offline agents)");
    }
    return sb.toString();
  }
}
