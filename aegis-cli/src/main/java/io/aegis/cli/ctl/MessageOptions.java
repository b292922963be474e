package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Option;

/**
 * What {@code send} and {@code broadcast} share: the channel, the message ({@code --json}), its
 * type, time to live, priority and headers, and the {@code Idempotency-Key} header that lets the
 * gateway recognise the same request sent twice (a fresh one per invocation unless given).
 */
final class MessageOptions {
  @Option(names = "--channel", required = true, paramLabel = "CHANNEL", description = "The channel.")
  String channel;

  @Option(names = "--json", required = true, paramLabel = "JSON",
      description = "The message: JSON, @FILE for a file's content, or - for standard input.")
  String message;

  @Option(names = "--type", paramLabel = "TYPE",
      description = "message_type: request (the gateway's default), event or response.")
  String type;

  @Option(names = "--ttl", paramLabel = "DURATION", description = "Time to live (default: the gateway's MESSAGE_TTL).")
  String ttl;

  @Option(names = "--priority", paramLabel = "PRIORITY", description = "control, normal (default) or bulk.")
  String priority;

  @Option(names = "--header", paramLabel = "K=V", description = "A message header (repeatable).")
  Map<String, String> headers = new LinkedHashMap<>();

  @Option(names = "--idempotency-key", paramLabel = "KEY",
      description = "Idempotency-Key header (default: a new random UUID for each invocation).")
  String idempotencyKey;

  /** The request body's common fields. */
  ObjectNode body(CtlLeaf leaf) {
    ObjectNode b = GatewayApi.object().put("channel", channel);
    b.set("message", leaf.jsonArgument("--json", message));
    if (type != null) {
      b.put("message_type", type);
    }
    if (ttl != null) {
      b.put("ttl", ttl);
    }
    if (priority != null) {
      b.put("priority", priority);
    }
    if (!headers.isEmpty()) {
      ObjectNode h = b.putObject("headers");
      headers.forEach(h::put);
    }
    return b;
  }

  /** The request's headers: the idempotency key. */
  Map<String, String> requestHeaders() {
    return Map.of("Idempotency-Key", idempotencyKey != null ? idempotencyKey : UUID.randomUUID().toString());
  }

  boolean isRequest() {
    return type == null || type.equals("request");
  }
}
