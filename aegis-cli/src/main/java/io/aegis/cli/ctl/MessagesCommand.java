package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ctl messages …}: what became of a message (or a broadcast), cancelling it, an agent's messages. */
@Command(name = "messages", mixinStandardHelpOptions = true, description = "Follow, list and cancel messages.",
    subcommands = {MessagesCommand.Show.class, MessagesCommand.Cancel.class, MessagesCommand.ListMessages.class})
final class MessagesCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "A message's status, attempts, times and response; for a broadcast, its deliveries by status.")
  static final class Show extends CtlLeaf {
    @Parameters(paramLabel = "MESSAGE_ID", description = "The message id (from send or broadcast).")
    String messageId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      Output out = output(jsonFlag.json);
      JsonNode m = api().get("/api/v1/messages/" + seg(messageId));
      if (out.json()) {
        out.print(m);
        return 0;
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("message_id", Output.text(m, "message_id"));
      boolean broadcast = m.path("broadcast").asBoolean();
      f.put(broadcast ? "broadcast" : "agent_id", broadcast ? "yes" : Output.text(m, "agent_id"));
      f.put("channel", Output.text(m, "channel"));
      f.put("message_type", Output.text(m, "message_type"));
      f.put("priority", Output.text(m, "priority"));
      f.put("status", Output.text(m, "status"));
      if (broadcast) {
        f.put("recipients", counts(m.path("recipients")));
      } else {
        f.put("attempts", m.path("attempts").asInt() + " of " + m.path("max_retries").asInt());
      }
      f.put("created_at", Output.text(m, "created_at"));
      f.put("sent_at", Output.text(m, "sent_at"));
      f.put("delivered_at", Output.text(m, "delivered_at"));
      f.put("expires_at", Output.text(m, "expires_at"));
      f.put("error", Output.text(m, "error"));
      f.put("message", Output.compact(m.path("message")));
      f.put("response", Output.compact(m.path("response")));
      f.put("responded_at", Output.text(m, "responded_at"));
      out.fields(f);
      return 0;
    }

    private static String counts(JsonNode recipients) {
      StringJoiner j = new StringJoiner(", ");
      for (Iterator<Map.Entry<String, JsonNode>> it = recipients.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        j.add(e.getValue().asLong() + " " + e.getKey());
      }
      return j.toString();
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel a message (every undelivered copy of a broadcast); delivered ones stay delivered.")
  static final class Cancel extends CtlLeaf {
    @Parameters(paramLabel = "MESSAGE_ID", description = "The message id.")
    String messageId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      Output out = output(jsonFlag.json);
      JsonNode r = api().delete("/api/v1/messages/" + seg(messageId));
      if (out.json()) {
        out.print(r);
      } else {
        int n = r.path("cancelled").asInt();
        out.line("cancelled " + messageId + " (" + n + " undelivered cop" + (n == 1 ? "y" : "ies") + ")");
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "An agent's messages, newest first.")
  static final class ListMessages extends CtlLeaf {
    @Option(names = "--agent", required = true, paramLabel = "ID", description = "The agent id.")
    String agentId;

    @Option(names = "--status", paramLabel = "STATUS",
        description = "Only messages in this status: pending, sent, delivered, failed, expired, cancelled.")
    String status;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most N messages (default ${DEFAULT-VALUE}; 0: all).")
    int limit;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      if (limit < 0) {
        throw usage("--limit must be 0 (all) or more");
      }
      Output out = output(jsonFlag.json);
      String path = "/api/v1/agents/" + seg(agentId) + "/messages" + (status == null ? "" : "?status=" + seg(status));
      ArrayNode all = GatewayApi.JSON.createArrayNode();
      boolean more = api().pages(path, "messages", limit, all::add);
      out.list(all, new Table("MESSAGE ID", "CHANNEL", "TYPE", "STATUS", "ATTEMPTS", "CREATED", "ERROR"),
          m -> new Object[] {Output.text(m, "message_id"), Output.text(m, "channel"), Output.text(m, "message_type"),
              Output.text(m, "status"), m.path("attempts").asInt(), Output.time(m, "created_at"), Output.text(m, "error")});
      if (more) {
        out.note("(more messages than --limit " + limit + ")");
      }
      return 0;
    }
  }
}
