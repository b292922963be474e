package io.aegis.server.cluster;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions this node holds, as a presence: what a node that is alone knows. Each agent maps
 * to the set of transports it holds here, as bits, so that an agent holding a WebSocket session
 * and polling over HTTP at the same time is released from one without losing the other.
 *
 * <p>Thread-safe.
 */
public final class LocalPresence implements Presence {
  private final String nodeId;
  private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();

  public LocalPresence(String nodeId) {
    this.nodeId = nodeId;
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  @Override
  public CompletableFuture<Void> held(String agentId, Transport transport) {
    held.merge(agentId, bit(transport), (a, b) -> a | b);
    return DONE;
  }

  @Override
  public void released(String agentId, Transport transport) {
    held.computeIfPresent(agentId, (k, bits) -> (bits & ~bit(transport)) == 0 ? null : bits & ~bit(transport));
  }

  @Override
  public CompletableFuture<Optional<Location>> locate(String agentId) {
    return CompletableFuture.completedFuture(here(agentId));
  }

  @Override
  public CompletableFuture<Map<String, Location>> locateAll(Collection<String> agentIds) {
    return CompletableFuture.completedFuture(hereAll(agentIds));
  }

  /** Where the agent's session on this node is, if it has one here. */
  public Optional<Location> here(String agentId) {
    Integer bits = held.get(agentId);
    return bits == null ? Optional.empty() : Optional.of(new Location(nodeId, strongest(bits)));
  }

  /** {@link #here} for many agents. */
  public Map<String, Location> hereAll(Collection<String> agentIds) {
    Map<String, Location> out = new HashMap<>();
    for (String agentId : agentIds) {
      Integer bits = held.get(agentId);
      if (bits != null) {
        out.put(agentId, new Location(nodeId, strongest(bits)));
      }
    }
    return out;
  }

  /** Whether this node holds a session of {@code agentId} over {@code transport}. */
  public boolean holds(String agentId, Transport transport) {
    Integer bits = held.get(agentId);
    return bits != null && (bits & bit(transport)) != 0;
  }

  /** The agents holding a session here over {@code transport} (a copy; for the fleet views' filters and counts). */
  public Set<String> holding(Transport transport) {
    Set<String> out = new HashSet<>();
    held.forEach((agentId, bits) -> {
      if ((bits & bit(transport)) != 0) {
        out.add(agentId);
      }
    });
    return out;
  }

  /** How many agents hold a session here. */
  public int size() {
    return held.size();
  }

  private static int bit(Transport t) {
    return 1 << t.ordinal();
  }

  /** A WebSocket session is the one to name when an agent also polls. */
  private static Transport strongest(int bits) {
    return (bits & bit(Transport.WEBSOCKET)) != 0 ? Transport.WEBSOCKET : Transport.HTTP_POLLING;
  }
}
