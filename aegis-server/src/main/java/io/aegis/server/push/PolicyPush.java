package io.aegis.server.push;

import io.aegis.server.api.ApiJson;
import io.aegis.server.cluster.NodeEvents;
import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.delivery.MessageQueue;
import io.aegis.server.delivery.QueuedMessage;
import io.aegis.server.delivery.SendService;
import io.aegis.server.gateway.AgentSession;
import io.aegis.server.gateway.ConnectionManager;
import io.aegis.server.gateway.SessionHandler;
import io.aegis.server.policy.EffectivePolicies;
import io.aegis.server.policy.PolicyStore;
import io.aegis.server.store.Database;
import io.aegis.server.store.TimeOrderedIds;
import io.aegis.server.store.BatchedWrite;
import io.vertx.core.WorkerExecutor;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live policy push: when an agent's effective policy set changes (a new version of a policy
 * assigned to it, an assignment added or removed, a policy deleted, its labels changed), a
 * connected agent receives the new set at once as a durable, signed {@code event} on channel
 * {@code policy} with {@code control} priority and header {@code etag}; a newer push cancels an
 * older one still undelivered. An agent that was offline gets the current set when it
 * reconnects ({@link CatchUp}), unless it already acknowledged that exact set. Policy and label
 * changes come as the cluster's events, so each node pushes to the agents whose sessions it holds.
 *
 * <p>Thread-safe; the work runs on the blocking pool.
 */
public final class PolicyPush implements SessionHandler, DeliveryEngine.Listener, NodeEvents.Listener {
  private static final Logger log = LoggerFactory.getLogger(PolicyPush.class);
  static final String CHANNEL = "policy";

  private final Database db;
  private final PolicyStore policies;
  private final SendService sender;
  private final MessageQueue queue;
  private final SyncState sync;
  private final WorkerExecutor worker;
  private final ConnectionManager connections;
  // The etag last queued for each connected agent, so an unchanged set is not pushed again.
  private final Map<String, String> lastPushed = new ConcurrentHashMap<>();

  public PolicyPush(Database db, PolicyStore policies, SendService sender, MessageQueue queue, SyncState sync,
                    WorkerExecutor worker, ConnectionManager connections, NodeEvents events) {
    this.db = db;
    this.policies = policies;
    this.sender = sender;
    this.queue = queue;
    this.sync = sync;
    this.worker = worker;
    this.connections = connections;
    events.listen(this);
  }

  @Override
  public void onClose(AgentSession session, int code) {
    if (!connections.isConnected(session.agentId())) {
      lastPushed.remove(session.agentId());
    }
  }

  @Override
  public void onLabelsChanged(String agentId) {
    if (connections.isConnected(agentId)) {
      reconcileLater(List.of(agentId));
    }
  }

  @Override
  public void onPolicyChanged(String name, boolean newVersion) {
    worker.executeBlocking(() -> {
      // A new version reaches exactly the agents assigned the policy; a changed or removed
      // assignment may also take it away, so every connected agent is checked.
      Collection<String> agents = newVersion
          ? assignedAndConnected(name)
          : connections.all().stream().map(AgentSession::agentId).toList();
      agents.forEach(this::reconcile);
      return null;
    }, false).onFailure(e -> log.warn("policy push after a change of {} failed: {}", name, e.getMessage()));
  }

  private void reconcileLater(List<String> agentIds) {
    worker.executeBlocking(() -> {
      agentIds.forEach(this::reconcile);
      return null;
    }, false).onFailure(e -> log.warn("policy push failed: {}", e.getMessage()));
  }

  /** Queues the agent's current policy set unless it has (or is about to get) exactly that. */
  private void reconcile(String agentId) {
    reconcile(agentId, () -> sync.get(agentId).map(SyncState.State::policyEtag).orElse(null));
  }

  /**
   * Queues the agent's current policy set unless it has exactly that: {@code delivered} is the
   * etag of the last set it acknowledged (null if none). Blocking; called on a worker.
   */
  void reconcile(String agentId, java.util.function.Supplier<String> delivered) {
    Optional<EffectivePolicies> current = policies.effectivePolicies(agentId);
    if (current.isEmpty()) {
      return;
    }
    String etag = current.get().etag();
    String known = lastPushed.get(agentId);
    if (known == null) {
      known = delivered.get();
    }
    // An agent that never had policies and still has none knows its set already: it is empty.
    if (etag.equals(known) || known == null && current.get().policies().isEmpty()) {
      return;
    }
    lastPushed.put(agentId, etag);
    SendService.Envelope e = sender.envelope(CHANNEL, ApiJson.MAPPER.valueToTree(current.get()), "event", null,
        "control", Map.of("etag", etag));
    Instant now = Instant.now();
    sender.push(agentId, "policy:" + TimeOrderedIds.next(), e, c -> queue.cancelChannel(c, agentId, CHANNEL, now))
        .whenComplete((ok, err) -> {
          if (err != null) {
            lastPushed.remove(agentId, etag);
            log.warn("agent_id={} policy push failed: {}", agentId, err.getMessage());
          }
        });
  }

  @Override
  public BatchedWrite onDelivered(QueuedMessage m) {
    String etag = m.headers().get("etag");
    return CHANNEL.equals(m.channel()) && etag != null ? sync.policyDelivered(m.agentId(), etag) : null;
  }

  private List<String> assignedAndConnected(String policy) {
    List<String> out = new ArrayList<>();
    db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT a.agent_id FROM agents a WHERE a.status = 'active' AND ("
          + " EXISTS (SELECT 1 FROM policy_assignments p WHERE p.policy_name = ? AND p.target_type = 'agent'"
          + " AND p.target_value = a.agent_id)"
          + " OR EXISTS (SELECT 1 FROM policy_assignments p JOIN agent_labels l ON p.target_type = 'label'"
          + " AND p.target_value = l.name || '=' || l.value WHERE p.policy_name = ? AND l.agent_id = a.agent_id))")) {
        ps.setString(1, policy);
        ps.setString(2, policy);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (connections.isConnected(rs.getString(1))) {
              out.add(rs.getString(1));
            }
          }
        }
      }
      return null;
    });
    return out;
  }
}
