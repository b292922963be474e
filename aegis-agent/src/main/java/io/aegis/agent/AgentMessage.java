package io.aegis.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.MessageTypes;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A message from the backend, decrypted and verified: its signature by a pinned backend key, its
 * audience (this agent, or every agent for a broadcast), its expiry, and that this agent has not
 * seen its id before. Also the answer to {@link AgentClient#request}.
 *
 * <p>Immutable and thread-safe, except that {@link #reply(JsonNode)} may succeed only once.
 */
public final class AgentMessage {

  /** Header naming the message a {@code response} (or an {@code error}) answers. */
  public static final String IN_REPLY_TO = "in-reply-to";

  private final String id;
  private final String type;
  private final String channel;
  private final Map<String, String> headers;
  private final byte[] body;
  private final long sentAtMillis;
  private final Instant receivedAt;
  private final boolean broadcast;
  private final long expiresAtMillis;
  private final Replier replier;
  private volatile JsonNode json;
  private volatile boolean replied;

  AgentMessage(String id, String type, String channel, Map<String, String> headers, byte[] body, long sentAtMillis,
               Instant receivedAt, boolean broadcast, long expiresAtMillis, Replier replier) {
    this.id = id;
    this.type = type;
    this.channel = channel;
    this.headers = Map.copyOf(headers);
    this.body = body;
    this.sentAtMillis = sentAtMillis;
    this.receivedAt = receivedAt;
    this.broadcast = broadcast;
    this.expiresAtMillis = expiresAtMillis;
    this.replier = replier;
  }

  /** The message id, unique per sender; the key of de-duplication. */
  public String id() {
    return id;
  }

  /** The message type: {@code request}, {@code event}, {@code response}, or another application type. */
  public String type() {
    return type;
  }

  /** The channel. */
  public String channel() {
    return channel;
  }

  /** The record headers (authenticated, not encrypted); unmodifiable. */
  public Map<String, String> headers() {
    return headers;
  }

  /** One header, if present. */
  public Optional<String> header(String name) {
    return Optional.ofNullable(headers.get(name));
  }

  /** The body bytes (UTF-8 JSON), a copy. */
  public byte[] body() {
    return body.clone();
  }

  /** The body as text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * The body parsed as JSON (parsed once, on first use).
   *
   * @throws java.io.UncheckedIOException if the body is not JSON
   */
  public JsonNode json() {
    JsonNode j = json;
    if (j == null) {
      j = Json.parse(body);
      json = j;
    }
    return j;
  }

  /** The sender's timestamp (authenticated by the record layer, not checked against any clock). */
  public Instant sentAt() {
    return Instant.ofEpochMilli(sentAtMillis);
  }

  /** When this agent received the record. */
  public Instant receivedAt() {
    return receivedAt;
  }

  /** True if the backend signed it for every agent (audience {@code "*"}) rather than this one. */
  public boolean isBroadcast() {
    return broadcast;
  }

  /** The signed expiry, if the backend gave one. */
  public Optional<Instant> expiresAt() {
    return expiresAtMillis == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(expiresAtMillis));
  }

  /** True for a {@code request}, which the handler may answer with {@link #reply(JsonNode)}. */
  public boolean isRequest() {
    return MessageTypes.REQUEST.equals(type) && replier != null;
  }

  /**
   * Answers this request: queues a signed {@code response} record on the same channel with header
   * {@code in-reply-to: <this id>}. The response also acknowledges the request. May be called
   * from any thread, also after the handler returned.
   *
   * @return completed when the gateway acknowledged the response; failed with
   *     {@link OutboxFullException}, {@link AgentStoppedException}, {@link MessageRefusedException}
   *     or a {@link java.util.concurrent.TimeoutException} otherwise
   * @throws IllegalStateException if this is not a request, or it was already answered
   */
  public CompletableFuture<Void> reply(JsonNode body) {
    if (!isRequest()) {
      throw new IllegalStateException("message " + id + " is a " + type + ", not a request: there is nothing to reply to");
    }
    synchronized (this) {
      if (replied) {
        throw new IllegalStateException("request " + id + " was already answered");
      }
      CompletableFuture<Void> f = replier.reply(id, channel, body);
      replied = !f.isCompletedExceptionally();
      return f;
    }
  }

  /** True once {@link #reply(JsonNode)} queued an answer. */
  boolean replied() {
    return replied;
  }

  @Override
  public String toString() {
    return "AgentMessage[id=" + id + ", type=" + type + ", channel=" + channel + ", bytes=" + body.length + "]";
  }
}
