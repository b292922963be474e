package io.aegis.server.routing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The transport an agent's records came in by, as the {@link MessageRouter} needs it: acks and
 * responses are recorded through it, because a WebSocket session's own dispatcher holds the
 * messages it has in flight while HTTP-polled messages live only in the store. Obtained from
 * {@link MessageRouter#sessionOrigin} or {@link MessageRouter#detachedOrigin}.
 */
public interface AgentOrigin {

  /** The authenticated agent. */
  String agentId();

  /**
   * The agent acknowledged {@code ids}; {@code rejected} maps those it refused to its reasons.
   * Completes once recorded (or handed to the session that holds them).
   */
  CompletableFuture<Void> acknowledged(List<String> ids, Map<String, String> rejected);

  /** The agent answered request {@code messageId} with {@code body}; completes once stored. */
  CompletableFuture<Void> responded(String messageId, byte[] body);
}
