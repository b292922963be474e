package io.aegis.server.cluster;

import io.aegis.server.artifact.ArtifactStore;
import io.aegis.server.auth.AgentAuthentication;
import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.policy.PolicyStore;
import io.aegis.server.registry.AgentRegistry;

/**
 * What this node shares with the others: the {@link NodeEvents} they tell each other and the
 * {@link Presence} of every agent's session. A node alone ({@link #local}) tells only itself.
 * {@code AegisServer} builds one per node, hands {@link #events()} and {@link #presence()} to the
 * components that publish or listen, and connects the stores and the delivery engine with
 * {@link #relay}.
 */
public final class Cluster implements AutoCloseable {
  private final NodeEvents events;
  private final Presence presence;

  private Cluster(NodeEvents events, Presence presence) {
    this.events = events;
    this.presence = presence;
  }

  /** A node alone: its events reach its own listeners, and it knows only its own sessions. */
  public static Cluster local(String nodeId) {
    LocalPresence presence = new LocalPresence(nodeId);
    return new Cluster(new LocalNodeEvents(presence), presence);
  }

  public NodeEvents events() {
    return events;
  }

  public Presence presence() {
    return presence;
  }

  /**
   * Makes the stores' committed changes and the delivery engine's news events of the cluster,
   * and the cluster's events news for the engine.
   */
  public void relay(DeliveryEngine delivery, AgentRegistry registry, PolicyStore policies, ArtifactStore artifacts,
                    AgentAuthentication authentication) {
    DeliveryBridge bridge = new DeliveryBridge(delivery, events);
    delivery.relay(bridge);
    events.listen(bridge);
    ChangeRelay.install(events, registry, policies, artifacts, authentication);
  }

  @Override
  public void close() {
    // Nothing to release on a node alone.
  }
}
