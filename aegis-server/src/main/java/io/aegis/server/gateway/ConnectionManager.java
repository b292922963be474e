package io.aegis.server.gateway;

import io.aegis.protocol.CloseCode;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live sessions on this node, one per agent. Registering a session of an agent that already
 * has one closes the older with {@link CloseCode#REPLACED}: the newest connection wins, so an
 * agent that reconnects after a network change is never locked out by its own stale session.
 *
 * <p>Thread-safe.
 */
public final class ConnectionManager {
  private final ConcurrentHashMap<String, AgentSession> sessions = new ConcurrentHashMap<>();

  /** Makes {@code session} its agent's live session, closing any previous one as replaced. */
  void register(AgentSession session) {
    AgentSession previous = sessions.put(session.agentId(), session);
    if (previous != null && previous != session) {
      previous.close(CloseCode.REPLACED);
    }
  }

  /** Forgets {@code session} if it is still its agent's live session. */
  void unregister(AgentSession session) {
    sessions.remove(session.agentId(), session);
  }

  public Optional<AgentSession> find(String agentId) {
    return Optional.ofNullable(sessions.get(agentId));
  }

  public boolean isConnected(String agentId) {
    return sessions.containsKey(agentId);
  }

  public int size() {
    return sessions.size();
  }

  /** A weakly consistent view of the live sessions. */
  public Collection<AgentSession> all() {
    return sessions.values();
  }

  /** Closes the agent's live session, if any, with {@code code}. */
  public void close(String agentId, CloseCode code) {
    AgentSession s = sessions.get(agentId);
    if (s != null) {
      s.close(code);
    }
  }

  /** Closes every live session with {@code code} (node shutdown). */
  public void closeAll(CloseCode code) {
    sessions.values().forEach(s -> s.close(code));
  }
}
