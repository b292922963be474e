package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.server.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ctl broadcast …}: one message to many agents ({@code POST /api/v1/agents/broadcast}),
 * then a live progress line (standard error) until its delivered and failed counts settle
 * ({@link BroadcastProgress}), and a summary.
 */
@Command(name = "broadcast", mixinStandardHelpOptions = true,
    description = "Send one message to many agents: every active agent, or those with --label, --agent, or the "
        + "channel's --subscribers. Then follow it (a progress line on stderr) until the delivered and failed counts "
        + "settle: every delivery finished, or only those queued for offline agents left. Exit status 1 if it does "
        + "not settle within --timeout (it goes on at the gateway). A broadcast that needs a second operator's "
        + "approval prints the approval id instead (see 'ctl approvals').")
final class BroadcastCommand extends CtlLeaf {
  private static final Duration POLL = Duration.ofMillis(500);

  @Mixin MessageOptions message;

  @Option(names = "--label", paramLabel = "K=V", description = "Agents with this label (repeatable: all must match).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--agent", paramLabel = "ID", description = "This agent (repeatable).")
  List<String> agents = new ArrayList<>();

  @Option(names = "--subscribers", description = "The agents subscribed to --channel.")
  boolean subscribers;

  @Option(names = "--all", description = "Every active agent (the default when no target is given).")
  boolean all;

  @Option(names = "--queue-offline", description = "Queue it for targeted agents that are offline (default: they are "
      + "counted as failed).")
  boolean queueOffline;

  @Option(names = "--no-follow", description = "Print the gateway's answer and return; do not follow the deliveries.")
  boolean noFollow;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2m", converter = CtlCommand.DurationConverter.class,
      description = "Follow for at most this long (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws InterruptedException {
    int targets = (labels.isEmpty() ? 0 : 1) + (agents.isEmpty() ? 0 : 1) + (subscribers ? 1 : 0) + (all ? 1 : 0);
    if (targets > 1) {
      throw usage("give at most one target: --label, --agent, --subscribers or --all");
    }
    ObjectNode body = message.body(this);
    if (!labels.isEmpty()) {
      ObjectNode l = body.putObject("target").putObject("labels");
      labels.forEach(l::put);
    } else if (!agents.isEmpty()) {
      agents.forEach(body.putObject("target").putArray("agent_ids")::add);
    } else if (subscribers) {
      body.putObject("target").put("subscribers", true);
    } else if (all) {
      body.putObject("target").put("all", true);
    }
    if (queueOffline) {
      body.put("queue_offline", true);
    }
    Output out = output(false);
    GatewayApi api = api();
    JsonNode answer = api.send("POST", "/api/v1/agents/broadcast", body, message.requestHeaders(), Duration.ZERO);
    if (AwaitingApproval.is(answer)) {
      // Nothing went out: there is no message to follow until another operator approves it.
      AwaitingApproval.show(out, answer);
      return 0;
    }
    String id = Output.text(answer, "message_id");
    BroadcastProgress progress = BroadcastProgress.accepted(answer);
    if (noFollow) {
      summary(out, answer, progress, null);
      return 0;
    }
    out.note("broadcast " + id + " to " + progress.recipients() + " agent" + (progress.recipients() == 1 ? "" : "s"));
    ProgressLine line = new ProgressLine(out, CtlCommand.of(spec).interactive());
    long deadline = System.nanoTime() + timeout.toNanos();
    BroadcastProgress previous = null;
    boolean settled = progress.inFlight() == 0;
    while (!settled && System.nanoTime() < deadline) {
      Thread.sleep(POLL.toMillis());
      BroadcastProgress now = progress.with(api.get("/api/v1/messages/" + seg(id)));
      line.show(now.line());
      settled = now.settled(previous);
      previous = now;
      progress = now;
    }
    line.end();
    summary(out, answer, progress, settled);
    if (!settled) {
      throw new CtlFailure(CtlFailure.REFUSED, "not settled within " + Durations.format(timeout) + " ("
          + progress.inFlight() + " in flight); it goes on: follow it with 'bin/aegis ctl messages show " + id + "'");
    }
    return 0;
  }

  private static void summary(Output out, JsonNode answer, BroadcastProgress p, Boolean settled) {
    if (out.json()) {
      ObjectNode o = ((ObjectNode) answer).deepCopy();
      if (settled != null) {
        ObjectNode r = o.putObject("recipients");
        r.put("delivered", p.delivered()).put("failed", p.failed()).put("pending", p.pending()).put("sent", p.sent());
        o.put("settled", settled);
      }
      out.print(o);
      return;
    }
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("message_id", Output.text(answer, "message_id"));
    f.put("recipients", p.reach());
    if (settled != null) {
      f.put("delivered", p.delivered());
      f.put("failed", p.failed() + p.refused());
      f.put("in_flight", p.inFlight() + (p.inFlight() > 0 && settled ? " (waiting for offline agents)" : ""));
    }
    if (p.refused() > 0) {
      List<String> ids = new ArrayList<>();
      answer.path("failed").forEach(a -> ids.add(a.asText()));
      f.put("refused", String.join(", ", ids.subList(0, Math.min(10, ids.size()))) + (ids.size() > 10 ? ", …" : ""));
    }
    out.fields(f);
  }

  /**
   * The live progress line on standard error: rewritten in place on a terminal, else one line
   * each time it changes (so that a log of the run stays readable).
   */
  static final class ProgressLine {
    private final Output out;
    private final boolean inPlace;
    private String last = "";

    ProgressLine(Output out, boolean inPlace) {
      this.out = out;
      this.inPlace = inPlace;
    }

    void show(String text) {
      if (text.equals(last)) {
        return;
      }
      if (inPlace) {
        out.err().print("\r\033[K" + text);
        out.err().flush();
      } else {
        out.note(text);
      }
      last = text;
    }

    void end() {
      if (inPlace && !last.isEmpty()) {
        out.err().println();
        out.err().flush();
      }
    }
  }
}
