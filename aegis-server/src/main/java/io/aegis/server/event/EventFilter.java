package io.aegis.server.event;

import java.time.Instant;
import java.util.Optional;

/**
 * Which events to read, newest first: optionally one agent's, one type's, and those that happened
 * in {@code [since, until)}; {@code after} continues a previous page.
 */
public record EventFilter(Optional<String> agentId, Optional<String> type, Optional<Instant> since,
                          Optional<Instant> until, Optional<Position> after, int limit) {

  /** The sort key of the last event on a page: its time, then its id to break ties. */
  public record Position(Instant timestamp, long id) {}
}
