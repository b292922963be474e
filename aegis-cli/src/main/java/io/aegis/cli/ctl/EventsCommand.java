package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ctl events …}: the events agents reported. */
@Command(name = "events", mixinStandardHelpOptions = true, description = "Query and follow the events agents report.",
    subcommands = {EventsCommand.Tail.class, EventsCommand.ListEvents.class})
final class EventsCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Events in time order (the agent's timestamp), ties by id. */
  static final Comparator<JsonNode> IN_TIME_ORDER = Comparator
      .comparing((JsonNode e) -> Instant.parse(e.path("timestamp").asText()))
      .thenComparingLong(e -> e.path("id").asLong());

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The query string of the filters. */
  static String filters(String agentId, String type) {
    StringBuilder q = new StringBuilder();
    if (agentId != null) {
      q.append("&agent_id=").append(GatewayApi.encode(agentId));
    }
    if (type != null) {
      q.append("&type=").append(GatewayApi.encode(type));
    }
    return q.toString();
  }

  /** One event as a line: time, agent, type, body; or its JSON on one line. */
  static void print(Output out, JsonNode e) {
    out.line(out.json() ? e.toString()
        : Output.time(e, "timestamp") + "  " + Output.text(e, "agent_id") + "  " + Output.text(e, "type") + "  "
            + Output.compact(e.path("body")));
  }

  @Command(name = "tail", mixinStandardHelpOptions = true,
      description = "Print the latest events, then follow new ones as they arrive (until interrupted, or --count). "
          + "Events are ordered by the agents' own timestamps: an event stamped more than --lookback before the newest "
          + "one shown (an agent whose clock is behind, or that kept events while offline) is not shown; find it "
          + "with 'events list --since'. With --json, one JSON object per line.")
  static final class Tail extends CtlLeaf {
    @Option(names = "--agent", paramLabel = "ID", description = "Only this agent's events.")
    String agentId;

    @Option(names = "--type", paramLabel = "TYPE", description = "Only events of this type.")
    String type;

    @Option(names = "--last", paramLabel = "N", defaultValue = "10", description = "Start with the last N events (default ${DEFAULT-VALUE}).")
    int last;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0",
        description = "Exit after printing N events in all (default: follow until interrupted).")
    int count;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = CtlCommand.DurationConverter.class,
        description = "How often to ask for new events (default ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--lookback", paramLabel = "DURATION", defaultValue = "30s", converter = CtlCommand.DurationConverter.class,
        description = "How far behind the newest event shown an arriving event may be stamped and still be shown "
            + "(default ${DEFAULT-VALUE}).")
    Duration lookback;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() throws InterruptedException {
      if (last < 0 || last > 1000 || count < 0) {
        throw usage("--last must be 0-1000 and --count 0 or more");
      }
      Output out = output(jsonFlag.json);
      GatewayApi api = api();
      String filter = filters(agentId, type);
      Map<String, Instant> shown = new HashMap<>(); // id -> timestamp, for the events within the lookback window
      Instant newest = null;
      int printed = 0;
      JsonNode first = api.get("/api/v1/events?limit=" + Math.max(last, 1) + filter);
      List<JsonNode> start = new ArrayList<>();
      first.path("events").forEach(start::add);
      start.sort(IN_TIME_ORDER);
      for (int i = 0; i < start.size(); i++) {
        JsonNode e = start.get(i);
        Instant t = Instant.parse(e.path("timestamp").asText());
        shown.put(e.path("id").asText(), t);
        newest = newest == null || t.isAfter(newest) ? t : newest;
        if (i >= start.size() - last && (count == 0 || printed < count)) {
          print(out, e);
          printed++;
        }
      }
      while (count == 0 || printed < count) {
        Thread.sleep(interval.toMillis());
        // An agent whose clock runs ahead must not push the window past everyone else's events.
        Instant watermark = newest == null ? null : min(newest, Instant.now());
        Instant since = watermark == null ? null : watermark.minus(lookback);
        List<JsonNode> fresh = new ArrayList<>();
        String q = (since == null ? "" : "&since=" + GatewayApi.encode(since.toString())) + filter;
        api.pages("/api/v1/events" + (q.isEmpty() ? "" : "?" + q.substring(1)), "events", 0, e -> {
          if (!shown.containsKey(e.path("id").asText())) {
            fresh.add(e);
          }
        });
        fresh.sort(IN_TIME_ORDER);
        for (JsonNode e : fresh) {
          if (count > 0 && printed >= count) {
            break;
          }
          Instant t = Instant.parse(e.path("timestamp").asText());
          shown.put(e.path("id").asText(), t);
          newest = newest == null || t.isAfter(newest) ? t : newest;
          print(out, e);
          printed++;
        }
        if (since != null) {
          shown.values().removeIf(t -> t.isBefore(since));
        }
      }
      return 0;
    }

    private static Instant min(Instant a, Instant b) {
      return a.isBefore(b) ? a : b;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Events, newest first.")
  static final class ListEvents extends CtlLeaf {
    @Option(names = "--agent", paramLabel = "ID", description = "Only this agent's events.")
    String agentId;

    @Option(names = "--type", paramLabel = "TYPE", description = "Only events of this type.")
    String type;

    @Option(names = "--since", paramLabel = "TIME", description = "Stamped at or after this time (RFC 3339).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Stamped before this time (RFC 3339).")
    String until;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N events (default ${DEFAULT-VALUE}; 0: all).")
    int limit;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      if (limit < 0) {
        throw usage("--limit must be 0 (all) or more");
      }
      Output out = output(jsonFlag.json);
      StringBuilder q = new StringBuilder(filters(agentId, type));
      if (since != null) {
        q.append("&since=").append(GatewayApi.encode(since));
      }
      if (until != null) {
        q.append("&until=").append(GatewayApi.encode(until));
      }
      ArrayNode all = GatewayApi.JSON.createArrayNode();
      boolean more = api().pages("/api/v1/events" + (q.isEmpty() ? "" : "?" + q.substring(1)), "events", limit, all::add);
      out.list(all, new Table("TIME", "AGENT ID", "TYPE", "BODY"), e -> new Object[] {Output.time(e, "timestamp"),
          Output.text(e, "agent_id"), Output.text(e, "type"), Output.compact(e.path("body"))});
      if (more) {
        out.note("(more events than --limit " + limit + ")");
      }
      return 0;
    }
  }
}
