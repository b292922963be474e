package io.aegis.server.polling;

import io.aegis.server.api.ApiRouter;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.AgentSignaturePolicy;
import io.aegis.server.auth.NextKeyAnnouncement;
import io.aegis.server.auth.RecordKeyVault;
import io.aegis.server.auth.UsedNonces;
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
 * ({@link PollingRoutes}) and the delivery to pollers ({@link PollService}). It ends a waiting
 * poll when its session is replaced ({@link #replacedBy}, from {@code POST /api/v1/auth}) or its
 * agent deactivated, deleted or re-keyed (as a registry listener). Close it on shutdown to end
 * waiting polls.
 */
public final class Polling implements AutoCloseable, AgentRegistry.Listener {
  private final PollService polls;
  private final PollingRoutes routes;

  public Polling(Vertx vertx, WorkerExecutor worker, Config config, AgentSessions sessions, RecordKeyVault vault,
                 UsedNonces nonces, AgentRegistry registry, MessageQueue queue, DeliveryEngine delivery,
                 MessageRouter router, WriteBatcher batcher, NextKeyAnnouncement announcement) {
    HttpSessions httpSessions = new HttpSessions(sessions, vault, config.maxFrameSize());
    this.polls = new PollService(vertx, worker, queue, delivery, httpSessions, announcement, config.ackTimeout(),
        config.maxPollWait(), config.maxBodySize());
    PostService posts = new PostService(router, new AgentSignaturePolicy(config.agentSignatures()), nonces, registry,
        batcher);
    this.routes = new PollingRoutes(httpSessions, polls, posts, delivery, config.maxPollWait());
    registry.addListener(this);
  }

  /**
   * {@code POST /api/v1/auth} issued a new HTTP session for {@code agentId} (and revoked its
   * earlier ones): a poll of another session waiting on this node ends with 409 {@code replaced}.
   */
  public void replacedBy(String agentId, String sessionId) {
    polls.replacedBy(agentId, sessionId);
  }

  @Override
  public void onDeactivated(String agentId) {
    polls.refuse(agentId, AgentSessions.TokenState.REVOKED);
  }

  @Override
  public void onDeleted(String agentId) {
    polls.refuse(agentId, AgentSessions.TokenState.REVOKED);
  }

  @Override
  public void onKeyRotated(String agentId) {
    // Authenticated with the old key: the agent authenticates again, as 4002 tells a WebSocket session.
    polls.refuse(agentId, AgentSessions.TokenState.UNKNOWN);
  }

  public void mount(ApiRouter api) {
    routes.mount(api);
  }

  /** Whether {@code agentId} polls this node now (a poll waits, or one ended recently). */
  public boolean reaches(String agentId) {
    return polls.reaches(agentId);
  }

  /** Every agent that polls this node now, for a broadcast's "connected" agents. */
  public java.util.Set<String> reachable() {
    return polls.reachable();
  }

  @Override
  public void close() {
    polls.close();
  }
}
