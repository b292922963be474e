package io.aegis.server.cluster;

import io.aegis.server.delivery.QueuedMessage;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * What one node must tell the others (and itself) so that N nodes act as one gateway. A
 * component publishes an event once the change behind it is committed to the store; every
 * node whose {@link Listener}s must act on it hears it, the publishing node included.
 *
 * <p>Events are notices, not the truth: the store is. A notice that is lost (a node restarting,
 * the bus unreachable) delays what it announced, never loses it: the delivery sweep finds
 * undelivered messages, a session reads its backlog and catches up when it opens, and a revoked
 * agent's token is refused by the store wherever it is presented next.
 *
 * <p>Publishing never blocks and may be called from any thread. Listeners are called on a thread
 * of the implementation's choosing (the publisher's, on a single node) and must not block.
 */
public interface NodeEvents {
  /**
   * Messages were committed to the queue (a send, a broadcast, a policy or artifact push): the
   * nodes that hold their agents' sessions deliver them now. Completes with the agents whose
   * session some node holds (their notice went there); never fails.
   */
  CompletableFuture<Set<String>> messagesCommitted(List<QueuedMessage> messages);

  /** Every undelivered copy of {@code messageId} was cancelled: no node sends it again. */
  void messageCancelled(String messageId);

  /**
   * The agent's response to request {@code messageId} is stored: a send waiting for it, wherever,
   * answers. Listeners may be given a null body (a large one is not carried between nodes): the
   * store has it.
   */
  void responseStored(String messageId, byte[] body);

  /**
   * A session of {@code agentId} opened on node {@code nodeId}, authenticated at
   * {@code openedAtMillis}: an older session of the agent over the same transport, on any other
   * node, is replaced (there is one session per agent in the cluster).
   */
  void sessionOpened(String agentId, Transport transport, String nodeId, long openedAtMillis);

  /**
   * A new HTTP session {@code sessionId} was issued to {@code agentId}, which revoked its earlier
   * ones: a poll of another session waiting on any node ends as replaced.
   */
  void httpSessionIssued(String agentId, String sessionId);

  /** The agent's authentication is void ({@code why}): every node closes its sessions and polls. */
  void agentRevoked(String agentId, Revocation why);

  /** The agent's labels changed: the policies and artifacts that reach it may have changed. */
  void labelsChanged(String agentId);

  /**
   * Policy {@code name} changed: a new version ({@code newVersion}), which reaches the agents it
   * is assigned to, or its assignments or existence, which may reach any agent.
   */
  void policyChanged(String name, boolean newVersion);

  /** Artifact {@code artifactId} was published: the agents it targets get it now. */
  void artifactPublished(String artifactId);

  /** Registers a listener on this node, for the life of the node. */
  void listen(Listener listener);

  /**
   * Hears events on this node. Every method has a default that ignores the event, so a component
   * implements only what it acts on.
   */
  interface Listener {
    default void onMessagesCommitted(List<QueuedMessage> messages) {}

    default void onMessageCancelled(String messageId) {}

    default void onResponseStored(String messageId, byte[] body) {}

    default void onSessionOpened(String agentId, Transport transport, String nodeId, long openedAtMillis) {}

    default void onHttpSessionIssued(String agentId, String sessionId) {}

    default void onAgentRevoked(String agentId, Revocation why) {}

    default void onLabelsChanged(String agentId) {}

    default void onPolicyChanged(String name, boolean newVersion) {}

    default void onArtifactPublished(String artifactId) {}
  }
}
