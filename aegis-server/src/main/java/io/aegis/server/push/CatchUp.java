package io.aegis.server.push;

import io.aegis.server.gateway.AgentSession;
import io.aegis.server.gateway.SessionHandler;
import io.vertx.core.WorkerExecutor;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a session opens, brings the agent up to date with what changed while it was away: its
 * policy set (if it differs from the one it last acknowledged) and the artifacts published after
 * the last one it acknowledged. One read of {@link SyncState} and one trip to the blocking pool
 * serve both, so reconnect storms cost as little store work as possible.
 */
public final class CatchUp implements SessionHandler {
  private static final Logger log = LoggerFactory.getLogger(CatchUp.class);

  private final SyncState sync;
  private final PolicyPush policies;
  private final ArtifactPush artifacts;
  private final WorkerExecutor worker;

  public CatchUp(SyncState sync, PolicyPush policies, ArtifactPush artifacts, WorkerExecutor worker) {
    this.sync = sync;
    this.policies = policies;
    this.artifacts = artifacts;
    this.worker = worker;
  }

  @Override
  public void onOpen(AgentSession session) {
    String agentId = session.agentId();
    worker.executeBlocking(() -> {
      Optional<SyncState.State> state = sync.get(agentId);
      policies.reconcile(agentId, () -> state.map(SyncState.State::policyEtag).orElse(null));
      artifacts.catchUp(agentId, state.map(SyncState.State::artifactCursor).orElse(0L));
      return null;
    }, false).onFailure(e -> log.warn("agent_id={} catch-up failed: {}", agentId, e.getMessage()));
  }
}
