package io.aegis.examples;

import io.aegis.agent.AgentClient;
import io.aegis.agent.AgentClientBuilder;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where an example agent connects, from environment variables (what a service manager or a
 * container sets):
 *
 * <table>
 * <caption>Environment</caption>
 * <tr><th>variable</th><th>meaning</th></tr>
 * <tr><td>{@code AEGIS_URL}</td><td>the gateway, e.g. {@code http://127.0.0.1:8080} or {@code https://gw.example.com}</td></tr>
 * <tr><td>{@code AEGIS_AGENT_ID}</td><td>this agent's id, registered with the gateway</td></tr>
 * <tr><td>{@code AEGIS_AGENT_KEY}</td><td>this agent's Ed25519 key file ({@code bin/aegis keygen --out agent.key})</td></tr>
 * <tr><td>{@code AEGIS_BACKEND_KEY}</td><td>the gateway's public key, base64, as its start banner prints it: the agent pins it</td></tr>
 * </table>
 */
final class ExampleSettings {
  private ExampleSettings() {}

  /** A builder with the four settings applied; the example adds its handlers. */
  static AgentClientBuilder builder(Map<String, String> env) {
    return AgentClient.builder()
        .backend(require(env, "AEGIS_URL"))
        .agentId(require(env, "AEGIS_AGENT_ID"))
        .identityFile(Path.of(require(env, "AEGIS_AGENT_KEY")))
        .backendKeys(require(env, "AEGIS_BACKEND_KEY"));
  }

  private static String require(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(name + " is not set (see the examples in aegis-agent/README.md)");
    }
    return v.trim();
  }
}
