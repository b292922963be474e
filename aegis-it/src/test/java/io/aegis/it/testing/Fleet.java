package io.aegis.it.testing;

import io.aegis.agent.AgentClient;
import io.aegis.agent.AgentMessage;
import io.aegis.protocol.IdentityKeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Agents built on the Java SDK ({@link AgentClient}) that reach a cluster through its load
 * balancer, reconnect as the SDK does, and count what their handlers saw: each message id how many
 * times. What a user's agent code would see, which is what "delivered once" is about.
 */
public final class Fleet implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final List<AgentClient> clients = new ArrayList<>();
  private final List<String> agentIds = new ArrayList<>();
  private final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> contents = new ConcurrentHashMap<>();

  private Fleet() {}

  /** Registers {@code n} agents named {@code prefix-0…} and starts them against the load balancer. */
  public static Fleet start(TestCluster cluster, String prefix, int n) {
    Fleet fleet = new Fleet();
    for (int i = 0; i < n; i++) {
      String agentId = prefix + "-" + i;
      IdentityKeyPair key = IdentityKeyPair.generate(RANDOM);
      var r = cluster.operator(0).post("/api/v1/agents", Map.of("agent_id", agentId, "public_key",
          key.publicKey().base64()));
      if (r.status() != 201) {
        throw new IllegalStateException("cannot register " + agentId + ": " + r);
      }
      AgentClient client = AgentClient.builder()
          .backend(cluster.lbUrl())
          .agentId(agentId)
          .identity(key)
          .backendKeys(cluster.backendKey().base64())
          .defaultHandler(m -> fleet.handled(agentId, m))
          // A test's patience, not production's: quick retries, so recovery shows within seconds.
          .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(2))
          .closeTimeout(Duration.ofSeconds(1))
          .httpFallback(false)
          .build();
      fleet.clients.add(client);
      fleet.agentIds.add(agentId);
      client.start();
    }
    return fleet;
  }

  private void handled(String agentId, AgentMessage m) {
    seen.computeIfAbsent(m.id(), k -> new AtomicInteger()).incrementAndGet();
    contents.computeIfAbsent(agentId + " " + m.bodyText(), k -> new AtomicInteger()).incrementAndGet();
  }

  /**
   * How many times agent code of {@code agentId} saw a message with this body, whatever its id: a
   * second message created for one intended send shows here, where ids cannot show it.
   */
  public int timesSeen(String agentId, String body) {
    AtomicInteger n = contents.get(agentId + " " + body);
    return n == null ? 0 : n.get();
  }

  /** The (agent, body) pairs agent code saw more than once. */
  public List<String> contentsSeenTwice() {
    return contents.entrySet().stream().filter(e -> e.getValue().get() > 1).map(Map.Entry::getKey).toList();
  }

  public List<String> agentIds() {
    return agentIds;
  }

  /** Whether every agent's client is connected now. */
  public boolean allConnected() {
    return clients.stream().allMatch(c -> c.state() == AgentClient.State.CONNECTED);
  }

  /** The message ids agent code saw, whatever the number of times. */
  public Set<String> seen() {
    return seen.keySet();
  }

  /** The message ids agent code saw more than once. */
  public List<String> seenTwice() {
    return seen.entrySet().stream().filter(e -> e.getValue().get() > 1).map(Map.Entry::getKey).toList();
  }

  @Override
  public void close() {
    clients.forEach(AgentClient::close);
  }
}
