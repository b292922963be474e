package io.aegis.agent.testing;

import io.aegis.agent.AgentClient;
import io.aegis.agent.AgentClientBuilder;
import io.aegis.protocol.IdentityKeyPair;
import java.security.SecureRandom;
import java.time.Duration;

/** An agent identity plus a client builder set up for fast tests against a {@link ScriptedGateway}. */
public final class TestAgent {

  public static final String ID = "agent-1";

  public final IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
  public final Recorder recorder = new Recorder();

  /** A gateway that knows this agent. */
  public ScriptedGateway gateway() {
    return ScriptedGateway.start(ID, key.publicKey());
  }

  /**
   * A builder for {@code gateway}: short normal backoff (20..100 ms) so reconnects happen at
   * once in test time, a long backoff (5..10 s) that a test can tell apart, short timeouts, and
   * no HTTP-polling fallback (a {@link ScriptedGateway} speaks WebSocket only; tests of the
   * fallback turn it on).
   */
  public AgentClientBuilder builder(ScriptedGateway gateway) {
    return AgentClient.builder()
        .backend(gateway.url())
        .agentId(ID)
        .identity(key)
        .backendKeys(gateway.pins())
        .listener(recorder)
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
        .longBackoff(Duration.ofSeconds(5), Duration.ofSeconds(10))
        .handshakeTimeout(Duration.ofSeconds(10))
        .closeTimeout(Duration.ofSeconds(1))
        .httpFallback(false);
  }
}
