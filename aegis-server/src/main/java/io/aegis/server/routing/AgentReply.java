package io.aegis.server.routing;

import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.server.api.ApiJson;
import java.util.Map;
import java.util.UUID;

/**
 * An unsigned record the gateway answers an agent's record with — an {@code ack}, a
 * {@code response} or an {@code error} — for the transport to seal (into the session, or into
 * the answer of an HTTP post).
 */
public record AgentReply(String id, String type, String channel, Map<String, String> headers, byte[] body) {

  /** {@code ack} on channel {@code control}: {@code {"ids":[inReplyTo]}}. */
  public static AgentReply ack(String inReplyTo) {
    byte[] body = ApiJson.write(ApiJson.MAPPER.createObjectNode().set("ids", ApiJson.MAPPER.createArrayNode().add(inReplyTo)));
    return new AgentReply(UUID.randomUUID().toString(), MessageTypes.ACK, Protocol.CONTROL_CHANNEL, Map.of(), body);
  }

  /** {@code error} on channel {@code control} with header {@code in-reply-to}: {@code {"code","message"}}. */
  public static AgentReply error(String inReplyTo, String code, String message) {
    byte[] body = ApiJson.write(ApiJson.MAPPER.createObjectNode().put("code", code).put("message", message));
    return new AgentReply(UUID.randomUUID().toString(), MessageTypes.ERROR, Protocol.CONTROL_CHANNEL,
        inReplyTo == null ? Map.of() : Map.of("in-reply-to", inReplyTo), body);
  }

  /** {@code response} on {@code channel} with header {@code in-reply-to}. */
  public static AgentReply response(String channel, String inReplyTo, byte[] body) {
    return new AgentReply(UUID.randomUUID().toString(), MessageTypes.RESPONSE, channel, Map.of("in-reply-to", inReplyTo),
        body);
  }
}
