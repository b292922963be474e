package io.aegis.server.cluster;

import io.aegis.server.delivery.QueuedMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events of a node that is alone: each one is told to this node's listeners at once, on the
 * publishing thread. A listener that fails is logged; it never fails the publisher, whose change
 * is already committed. Which agents a commit reached is for this node's presence to say.
 *
 * <p>Thread-safe.
 */
public final class LocalNodeEvents implements NodeEvents {
  private static final Logger log = LoggerFactory.getLogger(LocalNodeEvents.class);

  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final LocalPresence presence;

  public LocalNodeEvents(LocalPresence presence) {
    this.presence = presence;
  }

  @Override
  public void listen(Listener listener) {
    listeners.add(listener);
  }

  @Override
  public CompletableFuture<Set<String>> messagesCommitted(List<QueuedMessage> messages) {
    tell("messages committed", l -> l.onMessagesCommitted(messages));
    List<String> agents = new ArrayList<>(messages.size());
    messages.forEach(m -> agents.add(m.agentId()));
    return CompletableFuture.completedFuture(presence.hereAll(agents).keySet());
  }

  @Override
  public void messageCancelled(String messageId) {
    tell("message cancelled", l -> l.onMessageCancelled(messageId));
  }

  @Override
  public void responseStored(String messageId, byte[] body) {
    tell("response stored", l -> l.onResponseStored(messageId, body));
  }

  @Override
  public void sessionOpened(String agentId, Transport transport, String nodeId, long openedAtMillis) {
    tell("session opened", l -> l.onSessionOpened(agentId, transport, nodeId, openedAtMillis));
  }

  @Override
  public void httpSessionIssued(String agentId, String sessionId) {
    tell("HTTP session issued", l -> l.onHttpSessionIssued(agentId, sessionId));
  }

  @Override
  public void agentRevoked(String agentId, Revocation why) {
    tell("agent revoked", l -> l.onAgentRevoked(agentId, why));
  }

  @Override
  public void labelsChanged(String agentId) {
    tell("labels changed", l -> l.onLabelsChanged(agentId));
  }

  @Override
  public void policyChanged(String name, boolean newVersion) {
    tell("policy changed", l -> l.onPolicyChanged(name, newVersion));
  }

  @Override
  public void artifactPublished(String artifactId) {
    tell("artifact published", l -> l.onArtifactPublished(artifactId));
  }

  /** Tells every listener, here and now; one that fails is logged and the others are still told. */
  void tell(String what, Consumer<Listener> event) {
    for (Listener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        log.error("a listener failed on '{}': {}", what, e.toString(), e);
      }
    }
  }
}
