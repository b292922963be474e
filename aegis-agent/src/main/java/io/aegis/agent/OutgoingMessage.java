package io.aegis.agent;

import io.aegis.protocol.record.SignedCommand;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One agent→backend message in the {@link Outbox}: what to seal, and the futures to complete.
 *
 * <p>The signature (if any) is made once, on the caller's thread, and reused if the message is
 * written again after a reconnect: it covers nothing session-specific. Fields other than the
 * final ones are touched on the I/O thread only.
 */
final class OutgoingMessage {

  final String id;
  final String type;
  final String channel;
  final Map<String, String> headers;
  final byte[] body;
  /** The signed form, or {@code null} for an unsigned record. */
  final SignedCommand signed;
  /** Completed by the gateway's ack (or, for a request, its response). */
  final CompletableFuture<Void> acked;
  /** For {@link AgentClient#request}: completed by the response; else {@code null}. */
  final CompletableFuture<AgentMessage> response;
  /** Deadline timer, cancelled when the message is settled. */
  ScheduledFuture<?> timeout;

  OutgoingMessage(String id, String type, String channel, Map<String, String> headers, byte[] body,
                  SignedCommand signed, CompletableFuture<AgentMessage> response) {
    this.id = id;
    this.type = type;
    this.channel = channel;
    this.headers = headers;
    this.body = body;
    this.signed = signed;
    this.acked = new CompletableFuture<>();
    this.response = response;
  }

  boolean awaitsResponse() {
    return response != null;
  }

  @Override
  public String toString() {
    return "OutgoingMessage[id=" + id + ", type=" + type + ", channel=" + channel + "]";
  }
}
