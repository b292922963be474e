package io.aegis.server.delivery;

import io.aegis.protocol.record.SignedBlock;
import io.aegis.protocol.record.SignedCommand;
import java.time.Instant;
import java.util.Map;

/**
 * One message on its way to one agent: a row of the message queue as the dispatcher needs it.
 * The signed command is rebuilt from the stored signature, so redelivery never signs again and
 * a broadcast row carries the broadcast's single signature.
 *
 * @param rowId     the row's own id (unique per agent and message)
 * @param messageId the id the agent sees (shared by every row of a broadcast)
 * @param attempts  delivery attempts so far (see {@link Redelivery})
 * @param sentAt    when the current attempt's transmission was made, or null if never transmitted
 */
public record QueuedMessage(
    String rowId,
    String messageId,
    String agentId,
    String channel,
    String messageType,
    byte[] payload,
    SignedBlock block,
    Map<String, String> headers,
    Priority priority,
    long seq,
    int attempts,
    Instant sentAt,
    int maxRetries,
    Instant createdAt,
    Instant expiresAt) {

  public SignedCommand command() {
    return new SignedCommand(messageId, messageType, channel, payload, block);
  }

  public boolean expired(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /** Whether another attempt would exceed {@code max_retries} redeliveries. */
  public boolean retriesExhausted() {
    return attempts > maxRetries;
  }

  /** This message as transmitted in attempt {@code attempt}, whose transmission was made at {@code at}. */
  public QueuedMessage transmitted(int attempt, Instant at) {
    return new QueuedMessage(rowId, messageId, agentId, channel, messageType, payload, block, headers, priority,
        seq, attempt, at, maxRetries, createdAt, expiresAt);
  }
}
