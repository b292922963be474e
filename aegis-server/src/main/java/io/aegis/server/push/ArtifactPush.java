package io.aegis.server.push;

import io.aegis.server.api.ApiJson;
import io.aegis.server.artifact.AgentArtifact;
import io.aegis.server.artifact.Artifact;
import io.aegis.server.artifact.ArtifactStore;
import io.aegis.server.artifact.ArtifactTarget;
import io.aegis.server.cluster.NodeEvents;
import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.delivery.QueuedMessage;
import io.aegis.server.delivery.SendService;
import io.aegis.server.gateway.AgentSession;
import io.aegis.server.gateway.ConnectionManager;
import io.aegis.server.store.BatchedWrite;
import io.vertx.core.WorkerExecutor;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Artifact push: a new artifact targeted at a connected agent reaches it at once, as a durable,
 * signed {@code event} on channel {@code artifacts} carrying the same descriptor the polling API
 * returns (with header {@code cursor}); an agent that was offline gets, when it reconnects, the
 * artifacts published after the last one it acknowledged (up to {@value #CATCH_UP} per
 * connection; it polls for more). Each artifact is pushed to an agent once (message id
 * {@code artifact:<id>}). Publications come as the cluster's events, so each node pushes to the
 * agents whose sessions it holds.
 *
 * <p>Thread-safe; the work runs on the blocking pool.
 */
public final class ArtifactPush implements DeliveryEngine.Listener, NodeEvents.Listener {
  private static final Logger log = LoggerFactory.getLogger(ArtifactPush.class);
  static final String CHANNEL = "artifacts";
  static final int CATCH_UP = 100;

  private final ArtifactStore artifacts;
  private final SendService sender;
  private final SyncState sync;
  private final WorkerExecutor worker;
  private final ConnectionManager connections;

  public ArtifactPush(ArtifactStore artifacts, SendService sender, SyncState sync, WorkerExecutor worker,
                      ConnectionManager connections, NodeEvents events) {
    this.artifacts = artifacts;
    this.sender = sender;
    this.sync = sync;
    this.worker = worker;
    this.connections = connections;
    events.listen(this);
  }

  @Override
  public void onArtifactPublished(String artifactId) {
    worker.executeBlocking(() -> {
      Artifact a = artifacts.get(artifactId).orElse(null);
      if (a == null) {
        return null; // deleted since: nothing to push
      }
      newest.accumulateAndGet(Long.parseLong(a.cursor()), Math::max);
      AgentArtifact item = a.forAgent();
      for (String agentId : connectedTargets(a.target())) {
        push(agentId, item);
      }
      return null;
    }, false).onFailure(e -> log.warn("artifact push of {} failed: {}", artifactId, e.getMessage()));
  }

  /**
   * The agents connected here that {@code target} selects, by the feed's rule, decided once per
   * publication: at most one read (a label set), never one per session.
   */
  private List<String> connectedTargets(ArtifactTarget target) {
    if (target.targetsEveryone()) {
      return connections.all().stream().map(AgentSession::agentId).toList();
    }
    List<String> selected = target.agentIds() != null ? target.agentIds() : artifacts.agentsLabelled(target.labels());
    return selected.stream().filter(connections::isConnected).toList();
  }

  /**
   * Pushes what was published for the agent after {@code cursor}, the last artifact it
   * acknowledged. Blocking; called on a worker by {@link CatchUp}. Nothing is read when nothing
   * was published since.
   */
  void catchUp(String agentId, long cursor) {
    if (cursor >= newestSeq()) {
      return;
    }
    for (AgentArtifact item : artifacts.feed(agentId, cursor, CATCH_UP)) {
      push(agentId, item);
    }
  }

  /**
   * The newest artifact's cursor, read from the store at most once every
   * {@value #NEWEST_REFRESH_MILLIS} ms (publications on this node raise it at once).
   */
  private long newestSeq() {
    long now = System.currentTimeMillis();
    if (now - newestReadAt > NEWEST_REFRESH_MILLIS) {
      newest.accumulateAndGet(artifacts.newestSeq(), Math::max);
      newestReadAt = now;
    }
    return newest.get();
  }

  static final long NEWEST_REFRESH_MILLIS = 1000;
  private final java.util.concurrent.atomic.AtomicLong newest = new java.util.concurrent.atomic.AtomicLong();
  private volatile long newestReadAt;

  private void push(String agentId, AgentArtifact item) {
    SendService.Envelope e = sender.envelope(CHANNEL, ApiJson.MAPPER.valueToTree(item), "event", null, "normal",
        Map.of("cursor", item.cursor()));
    sender.push(agentId, "artifact:" + item.id(), e, c -> { })
        .exceptionally(err -> {
          log.warn("agent_id={} artifact {} push failed: {}", agentId, item.id(), err.getMessage());
          return false;
        });
  }

  @Override
  public BatchedWrite onDelivered(QueuedMessage m) {
    String cursor = m.headers().get("cursor");
    return CHANNEL.equals(m.channel()) && cursor != null ? sync.artifactDelivered(m.agentId(), Long.parseLong(cursor))
        : null;
  }
}
