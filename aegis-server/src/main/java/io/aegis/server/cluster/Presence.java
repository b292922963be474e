package io.aegis.server.cluster;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Which node holds which agent's session, and over which transport: what a send asks to answer
 * "sent" or "queued", what a broadcast asks to count its connected recipients, and what the
 * status endpoint shows. The node that opens or ends a session says so ({@link #held},
 * {@link #released}); any node may ask.
 *
 * <p>Thread-safe; nothing here blocks: answers that may need another node's word are futures.
 */
public interface Presence {
  /** This node's id. */
  String nodeId();

  /**
   * This node now holds a session of {@code agentId} over {@code transport}. Completes once every
   * node can see it (or could not be told: the future never fails), so that a session reads its
   * backlog only after a message committed from then on is sure to be routed to it.
   */
  CompletableFuture<Void> held(String agentId, Transport transport);

  /** This node no longer holds a session of {@code agentId} over {@code transport}. */
  void released(String agentId, Transport transport);

  /** Where the agent's session is, if it has one (a WebSocket session wins over HTTP polling). */
  CompletableFuture<Optional<Location>> locate(String agentId);

  /** {@link #locate} for many agents at once: the ones that have a session, and where. */
  CompletableFuture<Map<String, Location>> locateAll(Collection<String> agentIds);
}
