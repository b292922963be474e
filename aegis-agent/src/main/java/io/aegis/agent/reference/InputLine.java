package io.aegis.agent.reference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.MessageTypes;

/**
 * One line of the reference agent's standard input, parsed:
 *
 * <pre>
 * CHANNEL JSON                 send JSON on CHANNEL, type "event"
 * CHANNEL:TYPE JSON            send with message type TYPE ("request": the response is printed)
 * :reply MESSAGE_ID JSON       answer the received request MESSAGE_ID
 * # anything, or a blank line  ignored
 * </pre>
 *
 * <p><b>Events.</b> An {@code event} on channel {@code events} must reach the gateway in the
 * event store's shape {@code {"events":[{"type","timestamp","body"}, ...]}}. The JSON is sent as
 * is if it already has that shape (an object with an {@code "events"} array); a JSON array is
 * taken as the list of events; any other value is taken as one event. When wrapping, an event
 * object without {@code "timestamp"} gets the current time in milliseconds.
 *
 * @param kind      what the line asks for
 * @param channel   the channel ({@link Kind#SEND})
 * @param type      the message type ({@link Kind#SEND})
 * @param messageId the request to answer ({@link Kind#REPLY})
 * @param body      the JSON ({@link Kind#SEND}, {@link Kind#REPLY})
 */
record InputLine(Kind kind, String channel, String type, String messageId, JsonNode body) {

  /** What a line asks for. */
  enum Kind { SEND, REPLY, NOTHING }

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * Parses a line.
   *
   * @param nowMillis the time for events without a timestamp
   * @throws IllegalArgumentException with a message for the user if the line is malformed
   */
  static InputLine parse(String line, long nowMillis) {
    String t = line.strip();
    if (t.isEmpty() || t.startsWith("#")) {
      return new InputLine(Kind.NOTHING, null, null, null, null);
    }
    String[] headRest = t.split("\\s+", 2);
    String head = headRest[0];
    String rest = headRest.length > 1 ? headRest[1] : "";
    if (head.equals(":reply")) {
      String[] idJson = rest.split("\\s+", 2);
      if (idJson.length < 2 || idJson[0].isEmpty()) {
        throw new IllegalArgumentException("usage: :reply MESSAGE_ID JSON");
      }
      require(Identifiers.messageIdError(idJson[0]));
      return new InputLine(Kind.REPLY, null, null, idJson[0], json(idJson[1]));
    }
    if (head.startsWith(":")) {
      throw new IllegalArgumentException("unknown command " + head + " (the only command is :reply)");
    }
    if (rest.isEmpty()) {
      throw new IllegalArgumentException("expected CHANNEL JSON, for example: events {\"type\":\"login\",\"body\":{}}");
    }
    int colon = head.indexOf(':');
    String channel = colon < 0 ? head : head.substring(0, colon);
    String type = colon < 0 ? MessageTypes.EVENT : head.substring(colon + 1);
    require(Identifiers.channelError(channel));
    require(Identifiers.messageTypeError(type));
    JsonNode body = json(rest);
    if (channel.equals("events") && type.equals(MessageTypes.EVENT)) {
      body = eventsBody(body, nowMillis);
    }
    return new InputLine(Kind.SEND, channel, type, null, body);
  }

  /** The events-channel rule (see the class comment). */
  static JsonNode eventsBody(JsonNode json, long nowMillis) {
    if (json.isObject() && json.path("events").isArray()) {
      return json;
    }
    ObjectNode wrapped = JSON.createObjectNode();
    ArrayNode events = wrapped.putArray("events");
    if (json.isArray()) {
      json.forEach(events::add);
    } else {
      events.add(json);
    }
    for (JsonNode e : events) {
      if (e instanceof ObjectNode o && !o.has("timestamp")) {
        o.put("timestamp", nowMillis);
      }
    }
    return wrapped;
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
    }
  }

  private static void require(String error) {
    if (error != null) {
      throw new IllegalArgumentException(error);
    }
  }
}
