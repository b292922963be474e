package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.server.config.Durations;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ctl send ID …}: one message to one agent ({@code POST /api/v1/agents/{id}/send}). With
 * {@code --wait}, a request waits for the agent's response (the gateway's {@code wait}); an event
 * or response waits until the agent acknowledged it (following {@code GET /api/v1/messages/{id}}).
 */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Send a message to one agent. It is queued durably; the answer says whether the agent is connected "
        + "(sent) or not (queued). --wait: for a request, wait for the agent's response and print it; for an event "
        + "or a response, wait until the agent acknowledged it. Exit status 1 if the wait ends without it. On a "
        + "channel that needs a second operator's approval, it prints the approval id instead (see 'ctl approvals').")
final class SendCommand extends CtlLeaf {
  static final Set<String> FINISHED = Set.of("delivered", "failed", "expired", "cancelled");
  private static final Duration POLL = Duration.ofMillis(250);

  @Parameters(paramLabel = "ID", description = "The agent id.")
  String agentId;

  @Mixin MessageOptions message;

  @Option(names = "--wait", paramLabel = "DURATION", converter = CtlCommand.DurationConverter.class,
      description = "Wait up to this long for the response (request) or the acknowledgement (event, response).")
  Duration wait;

  @Override
  public Integer call() throws InterruptedException {
    ObjectNode body = message.body(this);
    if (wait != null && message.isRequest()) {
      body.put("wait", Durations.format(wait));
    }
    Output out = output(false);
    GatewayApi api = api();
    JsonNode answer = api.send("POST", "/api/v1/agents/" + seg(agentId) + "/send", body, message.requestHeaders(),
        wait == null ? Duration.ZERO : wait);
    if (AwaitingApproval.is(answer)) {
      AwaitingApproval.show(out, answer);
      if (wait != null) {
        // Only an event or a response gets here: the gateway refuses a request's wait on a channel
        // that needs approval. What was waited for cannot happen before someone approves it.
        throw new CtlFailure(CtlFailure.REFUSED, "not acknowledged by " + agentId + ": it awaits approval (approval "
            + Output.text(answer, "approval_id") + "), so there is nothing to wait for yet");
      }
      return 0;
    }
    String id = Output.text(answer, "message_id");
    if (wait == null || message.isRequest()) {
      show(out, answer);
      if (answer.path("timed_out").asBoolean()) {
        throw new CtlFailure(CtlFailure.REFUSED, "no response from " + agentId + " within " + Durations.format(wait)
            + "; follow it with 'bin/aegis ctl messages show " + id + "'");
      }
      return 0;
    }
    JsonNode m = follow(api, id, wait);
    show(out, m);
    String status = Output.text(m, "status");
    if (!status.equals("delivered")) {
      throw new CtlFailure(CtlFailure.REFUSED, FINISHED.contains(status)
          ? "message " + id + " " + status + (Output.text(m, "error").isEmpty() ? "" : ": " + Output.text(m, "error"))
          : "not acknowledged by " + agentId + " within " + Durations.format(wait) + " (status " + status
              + "); follow it with 'bin/aegis ctl messages show " + id + "'");
    }
    return 0;
  }

  /** Polls the message until it is finished or {@code wait} has passed; returns its last state. */
  static JsonNode follow(GatewayApi api, String id, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      JsonNode m = api.get("/api/v1/messages/" + seg(id));
      if (FINISHED.contains(Output.text(m, "status")) || System.nanoTime() >= deadline) {
        return m;
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  private static void show(Output out, JsonNode m) {
    if (out.json()) {
      out.print(m);
      return;
    }
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("message_id", Output.text(m, "message_id"));
    f.put("status", Output.text(m, "status"));
    f.put("error", Output.text(m, "error"));
    f.put("response", Output.compact(m.path("response")));
    out.fields(f);
  }
}
