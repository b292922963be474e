package io.aegis.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.agent.AgentClient;
import io.aegis.agent.AgentClientBuilder;
import io.aegis.agent.AgentMessage;
import io.aegis.agent.Listener;
import io.aegis.agent.RejectedMessage;
import io.aegis.agent.StopReason;
import java.lang.management.ManagementFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent that runs the backend's commands and answers them: it handles channel
 * {@code commands}, and replies to each request with its result.
 *
 * <pre>
 * POST /api/v1/agents/{agent_id}/send
 * {"channel": "commands", "message_type": "request", "message": {"action": "uptime"}, "wait": "30s"}
 *   → {"message_id": "…", "status": "delivered", "response": {"action": "uptime", "uptime_seconds": 42}}
 * </pre>
 *
 * Actions: {@code uptime}, {@code echo} (answers its {@code text}); anything else is answered
 * with an {@code error}. Messages on any other channel are refused back to the gateway
 * ({@code no_handler}): this agent installs no default handler. Run it with the variables of
 * {@link ExampleSettings}; it runs until the gateway revokes the agent or the process is stopped.
 */
public final class CommandAgent {
  private static final Logger log = LoggerFactory.getLogger(CommandAgent.class);

  private CommandAgent() {}

  public static void main(String[] args) {
    AgentClient client = start(ExampleSettings.builder(System.getenv()));
    Runtime.getRuntime().addShutdownHook(new Thread(client::close));
    StopReason why = client.stopped().join(); // the SDK's threads are daemons: keep the process alive
    log.info("stopped: {}", why);
  }

  /** Starts the agent: {@code builder} says where to connect. */
  public static AgentClient start(AgentClientBuilder builder) {
    return builder
        .onMessage("commands", CommandAgent::handle)
        .listener(new Listener() {
          @Override
          public void rejectedMessage(RejectedMessage m) {
            log.warn("refused message {} on channel {}: {}", m.id(), m.channel(), m.reason());
          }
        })
        .build()
        .start();
  }

  /** Runs one command; a request gets the result as its response. */
  static void handle(AgentMessage m) {
    JsonNode command = m.json();
    String action = command.path("action").asText("");
    ObjectNode result = JsonNodeFactory.instance.objectNode().put("action", action);
    switch (action) {
      case "uptime" -> result.put("uptime_seconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000);
      case "echo" -> result.set("text", command.path("text"));
      default -> result.put("error", "unknown action");
    }
    log.info("command {}: {}", m.id(), action);
    if (m.isRequest()) {
      m.reply(result); // acknowledges the request too
    }
  }
}
