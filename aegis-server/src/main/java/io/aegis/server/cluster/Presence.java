package io.aegis.server.cluster;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * Which node holds which agent's session, and over which transport: what a send asks to answer
 * "sent" or "queued", what a broadcast asks to count its connected recipients, and what the
 * status endpoint shows. The node that opens or ends a session says so ({@link #held},
 * {@link #released}); any node may ask.
 *
 * <p>Thread-safe; {@link #held} and {@link #released} never block.
 */
public interface Presence {
  /** This node's id. */
  String nodeId();

  /** This node now holds a session of {@code agentId} over {@code transport}. */
  void held(String agentId, Transport transport);

  /** This node no longer holds a session of {@code agentId} over {@code transport}. */
  void released(String agentId, Transport transport);

  /** Where the agent's session is, if it has one (a WebSocket session wins over HTTP polling). */
  Optional<Location> locate(String agentId);

  /** {@link #locate} for many agents at once: the ones that have a session, and where. */
  Map<String, Location> locateAll(Collection<String> agentIds);
}
