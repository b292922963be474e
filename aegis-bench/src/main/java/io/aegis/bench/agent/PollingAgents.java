package io.aegis.bench.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.bench.gateway.GatewayClient;
import io.aegis.protocol.HttpAuth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

/**
 * Agents on the Phase 1-2 HTTP polling API, the way the seed's agents work: each authenticates
 * with {@code POST /api/v1/auth} (a signature by its identity key over agent id, timestamp and a
 * fresh nonce) for a session token, then polls {@code GET /api/v1/agents/{id}/artifacts?since=}
 * every {@code interval}, carrying the cursor of its previous answer. The agents' polls are
 * spread evenly over the interval. Every artifact received is handed to the listener with the
 * time of the answer.
 *
 * <p>Thread-safe; the polling runs on Vert.x timers.
 */
public final class PollingAgents implements AutoCloseable {
  private final Vertx vertx;
  private final GatewayClient api;
  private final List<AgentIdentity> agents;
  private final String[] tokens;
  private final String[] cursors;
  private final List<Long> timers = new ArrayList<>();
  private volatile boolean closed;
  /** Polls answered. */
  public final LongAdder polls = new LongAdder();
  /** Polls that failed (transport error or non-2xx). */
  public final LongAdder pollErrors = new LongAdder();

  public PollingAgents(Vertx vertx, GatewayClient api, List<AgentIdentity> agents) {
    this.vertx = vertx;
    this.api = api;
    this.agents = agents;
    this.tokens = new String[agents.size()];
    this.cursors = new String[agents.size()];
  }

  /** Authenticates every agent (at most 32 at once); fails with the first refusal. */
  public void authenticate() {
    SecureRandom random = new SecureRandom();
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < agents.size(); i++) {
      AgentIdentity a = agents.get(i);
      byte[] n = new byte[18];
      random.nextBytes(n);
      String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(n);
      long ts = System.currentTimeMillis();
      String sig = Base64.getEncoder().encodeToString(HttpAuth.sign(a.key(), a.agentId(), ts, nonce));
      int index = i;
      all.add(api.post("/api/v1/auth", Map.of("agent_id", a.agentId(), "public_key", a.publicKeyBase64(),
          "timestamp", ts, "nonce", nonce, "signature", sig)).map(r -> {
            if (!r.ok()) {
              throw new IllegalStateException("POST /api/v1/auth for " + a.agentId() + ": HTTP " + r.status() + " " + r.text());
            }
            tokens[index] = r.json().path("session_token").asText();
            return null;
          }));
      if (all.size() % 32 == 0) {
        GatewayClient.await(Future.all(all), 120, "POST /api/v1/auth");
      }
    }
    GatewayClient.await(Future.all(all), 120, "POST /api/v1/auth");
  }

  /** One poll per agent to learn the current cursor; what it returns is discarded. */
  public void catchUp() {
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < agents.size(); i++) {
      all.add(poll(i, (item, now) -> { }));
    }
    GatewayClient.await(Future.all(all), 120, "initial polls");
  }

  /** Starts polling every {@code interval}, agents evenly spread over it. */
  public void start(Duration interval, BiConsumer<JsonNode, Long> onArtifact) {
    long period = Math.max(1, interval.toMillis());
    for (int i = 0; i < agents.size(); i++) {
      int index = i;
      long offset = 1 + (period * i) / agents.size() + ThreadLocalRandom.current().nextLong(Math.max(1, period / 100));
      vertx.setTimer(offset, t -> {
        synchronized (timers) {
          if (closed) {
            return;
          }
          timers.add(vertx.setPeriodic(period, id -> poll(index, onArtifact)));
        }
        poll(index, onArtifact);
      });
    }
  }

  private Future<?> poll(int i, BiConsumer<JsonNode, Long> onArtifact) {
    String agentId = agents.get(i).agentId();
    String since = cursors[i] == null ? "0" : cursors[i];
    return api.get("/api/v1/agents/" + agentId + "/artifacts?since=" + since, tokens[i]).andThen(ar -> {
      long now = System.nanoTime();
      if (ar.failed() || !ar.result().ok()) {
        pollErrors.increment();
        return;
      }
      polls.increment();
      JsonNode feed = ar.result().json();
      for (JsonNode item : feed.path("artifacts")) {
        onArtifact.accept(item, now);
      }
      cursors[i] = feed.path("cursor").asText(since);
    });
  }

  @Override
  public void close() {
    synchronized (timers) {
      closed = true;
      timers.forEach(vertx::cancelTimer);
      timers.clear();
    }
  }
}
