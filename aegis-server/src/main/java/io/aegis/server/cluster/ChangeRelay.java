package io.aegis.server.cluster;

import io.aegis.server.artifact.ArtifactStore;
import io.aegis.server.auth.AgentAuthentication;
import io.aegis.server.policy.PolicyChange;
import io.aegis.server.policy.PolicyStore;
import io.aegis.server.registry.AgentRegistry;

/**
 * Turns the changes the stores commit on this node into {@link NodeEvents}, so that every node
 * acts on them: the registry's (deactivation, deletion, key rotation, labels), the policy store's,
 * the artifact store's and the HTTP sessions that {@code POST /api/v1/auth} issues. The stores
 * keep their own hooks and know nothing of the cluster.
 */
final class ChangeRelay implements AgentRegistry.Listener {
  private final NodeEvents events;

  private ChangeRelay(NodeEvents events) {
    this.events = events;
  }

  /** Relays the changes of these stores to {@code events}. */
  static void install(NodeEvents events, AgentRegistry registry, PolicyStore policies, ArtifactStore artifacts,
                      AgentAuthentication authentication) {
    registry.addListener(new ChangeRelay(events));
    policies.onChange(c -> events.policyChanged(c.name(), c.kind() == PolicyChange.Kind.VERSION_CREATED));
    artifacts.onPublish(a -> events.artifactPublished(a.id()));
    authentication.onHttpSession(events::httpSessionIssued);
  }

  @Override
  public void onDeactivated(String agentId) {
    events.agentRevoked(agentId, Revocation.DEACTIVATED);
  }

  @Override
  public void onDeleted(String agentId) {
    events.agentRevoked(agentId, Revocation.DELETED);
  }

  @Override
  public void onKeyRotated(String agentId) {
    events.agentRevoked(agentId, Revocation.KEY_ROTATED);
  }

  @Override
  public void onLabelsChanged(String agentId) {
    events.labelsChanged(agentId);
  }
}
