package io.aegis.server.event;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.ApiException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch of events as agents send it, over HTTP ({@code POST /api/v1/agents/{id}/events}) or
 * in their session (channel {@code events}): {@code {"events": [{"type", "timestamp", "body"}]}},
 * each timestamp an RFC 3339 string or epoch milliseconds.
 */
public record EventBatch(List<Incoming> events) {
  private static final Instant EARLIEST = Instant.EPOCH;
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

  /** One event on the wire. */
  public record Incoming(String type, JsonNode timestamp, JsonNode body) {}

  /** Validates the batch's shape and times; the store checks types and bodies. */
  public static List<Event> events(EventBatch batch) {
    if (batch.events() == null) {
      throw ApiException.invalid("'events' is required: a list of 1-" + EventStore.MAX_BATCH + " events");
    }
    // The size is checked first so that an oversized batch is a 413 whatever its contents.
    EventStore.checkBatchSize(batch.events().size());
    List<Event> events = new ArrayList<>(batch.events().size());
    for (int i = 0; i < batch.events().size(); i++) {
      Incoming e = batch.events().get(i);
      if (e == null) {
        throw ApiException.invalid("events[" + i + "] must be an object");
      }
      events.add(new Event(e.type(), timestamp(e.timestamp(), i), e.body()));
    }
    return events;
  }

  private static Instant timestamp(JsonNode value, int index) {
    String rule = "events[" + index + "].timestamp must be an RFC 3339 time (2026-11-25T20:40:00Z) "
        + "or milliseconds since the epoch";
    Instant t = null;
    try {
      if (value != null && value.isTextual()) {
        t = OffsetDateTime.parse(value.asText()).toInstant();
      } else if (value != null && value.isIntegralNumber() && value.canConvertToLong()) {
        t = Instant.ofEpochMilli(value.asLong());
      }
    } catch (DateTimeException | ArithmeticException e) {
      // answered below
    }
    if (t == null || t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
      throw ApiException.invalid(rule + ", between 1970 and 9999");
    }
    return t;
  }
}
