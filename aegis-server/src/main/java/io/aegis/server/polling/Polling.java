package io.aegis.server.polling;

import io.aegis.server.api.ApiRouter;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.AgentSignaturePolicy;
import io.aegis.server.auth.NextKeyAnnouncement;
import io.aegis.server.auth.RecordKeyVault;
import io.aegis.server.auth.UsedNonces;
import io.aegis.server.cluster.NodeEvents;
import io.aegis.server.cluster.Presence;
import io.aegis.server.cluster.Revocation;
import io.aegis.server.config.Config;
import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.delivery.MessageQueue;
import io.aegis.server.registry.AgentRegistry;
import io.aegis.server.routing.MessageRouter;
import io.aegis.server.store.WriteBatcher;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

/**
 * The HTTP-polling transport of one node, wired from the components it uses: its endpoints
 * ({@link PollingRoutes}) and the delivery to pollers ({@link PollService}). As a listener of the
 * cluster's events, it wakes a waiting poll when a message for its agent is committed on any node,
 * and ends it when its session is replaced (a new HTTP session from {@code POST /api/v1/auth}) or
 * its agent deactivated, deleted or re-keyed. Close it on shutdown to end waiting polls.
 */
public final class Polling implements AutoCloseable, NodeEvents.Listener {
  private final PollService polls;
  private final PollingRoutes routes;

  public Polling(Vertx vertx, WorkerExecutor worker, Config config, AgentSessions sessions, RecordKeyVault vault,
                 UsedNonces nonces, AgentRegistry registry, MessageQueue queue, DeliveryEngine delivery,
                 MessageRouter router, WriteBatcher batcher, NextKeyAnnouncement announcement, NodeEvents events,
                 Presence presence) {
    HttpSessions httpSessions = new HttpSessions(sessions, vault, config.maxFrameSize());
    this.polls = new PollService(vertx, worker, queue, delivery, httpSessions, announcement, presence,
        config.maxPollWait(), config.maxBodySize());
    PostService posts = new PostService(router, new AgentSignaturePolicy(config.agentSignatures()), nonces, registry,
        batcher);
    this.routes = new PollingRoutes(httpSessions, polls, posts, delivery, config.maxPollWait());
    events.listen(this);
  }

  /**
   * {@code POST /api/v1/auth} issued a new HTTP session for {@code agentId} (and revoked its
   * earlier ones): a poll of another session waiting on this node ends with 409 {@code replaced}.
   */
  @Override
  public void onHttpSessionIssued(String agentId, String sessionId) {
    polls.replacedBy(agentId, sessionId);
  }

  @Override
  public void onAgentRevoked(String agentId, Revocation why) {
    // Authenticated with a rotated-away key: the agent authenticates again, as 4002 tells a
    // WebSocket session; otherwise its token is revoked.
    polls.refuse(agentId, why == Revocation.KEY_ROTATED ? AgentSessions.TokenState.UNKNOWN
        : AgentSessions.TokenState.REVOKED);
  }

  @Override
  public void onMessagesCommitted(java.util.List<io.aegis.server.delivery.QueuedMessage> messages) {
    String last = null;
    for (var m : messages) {
      // Rows of one send share an agent; a broadcast has one row per agent.
      if (!m.agentId().equals(last)) {
        polls.offered(m.agentId());
        last = m.agentId();
      }
    }
  }

  public void mount(ApiRouter api) {
    routes.mount(api);
  }

  @Override
  public void close() {
    polls.close();
  }
}
