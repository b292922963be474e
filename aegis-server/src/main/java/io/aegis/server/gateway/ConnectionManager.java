package io.aegis.server.gateway;

import io.aegis.protocol.CloseCode;
import io.aegis.server.cluster.NodeEvents;
import io.aegis.server.cluster.Presence;
import io.aegis.server.cluster.Transport;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live sessions on this node, one per agent. Registering a session of an agent that already
 * has one closes the older with {@link CloseCode#REPLACED}: the newest connection wins, so an
 * agent that reconnects after a network change is never locked out by its own stale session.
 *
 * <p><b>Revocations and handshakes in flight.</b> A handshake authenticates against the key the
 * registry held when the upgrade looked it up, and its session registers here only when it
 * opens. A deactivation or key rotation committed in between would find nothing to close. So
 * {@link #revoke} also remembers the agent with a sequence number, and a session that registers
 * with a {@link #mark()} taken before its registry lookup is closed at once if its agent was
 * revoked since. Either the revocation's close finds the registered session, or the
 * registration finds the revocation: there is no gap. Remembered revocations are forgotten by
 * {@link #forgetRevocationsBefore} once no handshake can be that old.
 *
 * <p><b>The cluster.</b> A registered session is announced: {@link Presence} learns that this node
 * holds the agent, and every node hears {@link NodeEvents#sessionOpened}, so that an older session
 * of the agent on another node is closed as replaced too ({@link #replaceIfOlder}).
 *
 * <p>Thread-safe.
 */
public final class ConnectionManager {
  private record Revocation(long seq, CloseCode code, long atNanos) {}

  private final String nodeId;
  private final Presence presence;
  private final NodeEvents events;
  private final ConcurrentHashMap<String, AgentSession> sessions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Revocation> revocations = new ConcurrentHashMap<>();
  private final AtomicLong revocationSeq = new AtomicLong();

  ConnectionManager(Presence presence, NodeEvents events) {
    this.nodeId = presence.nodeId();
    this.presence = presence;
    this.events = events;
  }

  /** The current revocation sequence number; take it before looking the agent up in the registry. */
  long mark() {
    return revocationSeq.get();
  }

  /**
   * Makes {@code session} its agent's live session, closing any previous one as replaced. If the
   * agent was revoked after {@code mark}, closes {@code session} with the revocation's code.
   * Completes once the cluster's presence shows the session (see {@link Presence#held}).
   */
  java.util.concurrent.CompletableFuture<Void> register(AgentSession session, long mark) {
    AgentSession previous = sessions.put(session.agentId(), session);
    if (previous != null && previous != session) {
      previous.close(CloseCode.REPLACED);
    }
    var shown = presence.held(session.agentId(), Transport.WEBSOCKET);
    events.sessionOpened(session.agentId(), Transport.WEBSOCKET, nodeId, session.connectedAt().toEpochMilli());
    Revocation r = revocations.get(session.agentId());
    if (r != null && r.seq() > mark) {
      session.close(r.code());
    }
    return shown;
  }

  /** Forgets {@code session} if it is still its agent's live session. */
  void unregister(AgentSession session) {
    if (sessions.remove(session.agentId(), session)) {
      presence.released(session.agentId(), Transport.WEBSOCKET);
    }
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

  /**
   * A session of {@code agentId} authenticated at {@code openedAtMillis} opened on another node:
   * this node's session of the agent, if it is not newer, is closed as replaced. (Both close when
   * they opened within the same millisecond: an agent is never left with two.)
   */
  void replaceIfOlder(String agentId, long openedAtMillis) {
    AgentSession s = sessions.get(agentId);
    if (s != null && s.connectedAt().toEpochMilli() <= openedAtMillis) {
      s.close(CloseCode.REPLACED);
    }
  }

  /**
   * The agent's authentication is void (deactivated, deleted, key rotated): closes its live
   * session with {@code code}, and any session still in its handshake when it opens.
   */
  public void revoke(String agentId, CloseCode code) {
    revocations.put(agentId, new Revocation(revocationSeq.incrementAndGet(), code, System.nanoTime()));
    close(agentId, code);
  }

  /** Forgets revocations older than {@code nanos} (a handshake cannot be older: see the class comment). */
  void forgetRevocationsBefore(long nanos) {
    revocations.values().removeIf(r -> r.atNanos() - nanos < 0);
  }

  /** Closes every live session with {@code code} (node shutdown). */
  public void closeAll(CloseCode code) {
    sessions.values().forEach(s -> s.close(code));
  }
}
