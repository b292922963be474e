package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ctl agents …}: the agent registry. */
@Command(name = "agents", mixinStandardHelpOptions = true, description = "List, inspect, register, deactivate and delete agents.",
    subcommands = {AgentsCommand.ListAgents.class, AgentsCommand.Show.class, AgentsCommand.Register.class,
        AgentsCommand.Deactivate.class, AgentsCommand.Reactivate.class, AgentsCommand.Delete.class})
final class AgentsCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Status requests in flight at once for {@code --connected}. */
  static final int STATUS_CONCURRENCY = 16;
  /** Deletions in flight at once for a bulk delete. */
  static final int DELETE_CONCURRENCY = 8;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List agents, in agent id order. --connected asks each active agent's status (one request per "
          + "agent, several at once).")
  static final class ListAgents extends CtlLeaf {
    @Option(names = "--label", paramLabel = "K=V", description = "Only agents with this label (repeatable: all must match).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--status", paramLabel = "STATUS", description = "Only active or inactive agents.")
    String status;

    @Option(names = "--connected", description = "Only agents with a live session; adds node, connected since and last seen.")
    boolean connected;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "At most N agents (default: all).")
    int limit;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      if (status != null && !status.equals("active") && !status.equals("inactive")) {
        throw usage("--status must be active or inactive");
      }
      if (connected && "inactive".equals(status)) {
        throw usage("an inactive agent is never connected: --connected with --status inactive lists nothing");
      }
      if (limit < 0) {
        throw usage("--limit must be 0 (all) or more");
      }
      Output out = output(jsonFlag.json);
      GatewayApi api = api();
      StringBuilder q = new StringBuilder(labelQuery(labels));
      String wanted = connected ? "active" : status;
      if (wanted != null) {
        q.append(q.isEmpty() ? "" : "&").append("status=").append(wanted);
      }
      String path = "/api/v1/agents" + (q.isEmpty() ? "" : "?" + q);
      List<JsonNode> agents = new ArrayList<>();
      boolean more = api.pages(path, "agents", connected ? 0 : limit, agents::add);
      if (connected) {
        agents = withConnection(api, agents).stream()
            .filter(a -> a.path("connection").path("connected").asBoolean()).toList();
        if (limit > 0 && agents.size() > limit) {
          agents = agents.subList(0, limit);
          more = true;
        }
      }
      if (out.json()) {
        ArrayNode array = GatewayApi.JSON.createArrayNode();
        agents.forEach(array::add);
        out.print(array);
        return 0;
      }
      Table t = connected ? new Table("AGENT ID", "STATUS", "NODE", "CONNECTED SINCE", "LAST SEEN", "LABELS")
          : new Table("AGENT ID", "STATUS", "LABELS", "CREATED");
      for (JsonNode a : agents) {
        if (connected) {
          JsonNode c = a.path("connection");
          t.row(Output.text(a, "agent_id"), Output.text(a, "status"), Output.text(c, "node_id"),
              Output.time(c, "connected_since"), Output.time(c, "last_seen"), Output.labels(a.path("labels")));
        } else {
          t.row(Output.text(a, "agent_id"), Output.text(a, "status"), Output.labels(a.path("labels")),
              Output.time(a, "created_at"));
        }
      }
      t.print(out.out());
      if (more) {
        out.note("(more agents than --limit " + limit + ")");
      } else if (t.size() == 0) {
        out.note("no agent matches");
      }
      return 0;
    }
  }

  /** Each agent with its {@code GET …/status} answer as {@code connection}, several requests at once. */
  static List<JsonNode> withConnection(GatewayApi api, List<JsonNode> agents) {
    Semaphore slots = new Semaphore(STATUS_CONCURRENCY);
    List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
    for (JsonNode a : agents) {
      slots.acquireUninterruptibly();
      String id = a.path("agent_id").asText();
      futures.add(api.sendAsync("GET", "/api/v1/agents/" + CtlLeaf.seg(id) + "/status", null, Map.of(), Duration.ZERO)
          .handle((status, err) -> {
            slots.release();
            ObjectNode copy = ((ObjectNode) a).deepCopy();
            if (err == null) {
              copy.set("connection", status);
            } else if (!(cause(err) instanceof CtlFailure.Refused r && r.status() == 404)) {
              throw err instanceof CompletionException c ? c : new CompletionException(err);
            }
            return copy;
          }));
    }
    List<JsonNode> out = new ArrayList<>();
    for (CompletableFuture<JsonNode> f : futures) {
      try {
        out.add(f.join());
      } catch (CompletionException e) {
        throw cause(e) instanceof CtlFailure c ? c : e;
      }
    }
    return out;
  }

  static Throwable cause(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "An agent's record and its connection.")
  static final class Show extends CtlLeaf {
    @Parameters(paramLabel = "ID", description = "The agent id.")
    String agentId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      Output out = output(jsonFlag.json);
      GatewayApi api = api();
      ObjectNode agent = (ObjectNode) api.get("/api/v1/agents/" + CtlLeaf.seg(agentId));
      JsonNode c = api.get("/api/v1/agents/" + CtlLeaf.seg(agentId) + "/status");
      agent.set("connection", c);
      if (out.json()) {
        out.print(agent);
        return 0;
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("agent_id", Output.text(agent, "agent_id"));
      f.put("status", Output.text(agent, "status"));
      f.put("public_key", Output.text(agent, "public_key"));
      f.put("labels", Output.labels(agent.path("labels")));
      f.put("metadata", agent.path("metadata").isEmpty() ? null : Output.compact(agent.path("metadata")));
      f.put("enrolled_by", Output.text(agent, "enrolled_by"));
      f.put("created_at", Output.text(agent, "created_at"));
      f.put("updated_at", Output.text(agent, "updated_at"));
      f.put("key_rotated_at", Output.text(agent, "key_rotated_at"));
      boolean connected = c.path("connected").asBoolean();
      f.put("connected", connected ? "yes" : "no");
      f.put("node", Output.text(c, "node_id"));
      f.put("session", Output.text(c, "session_id"));
      f.put("connected_since", Output.text(c, "connected_since"));
      f.put("session_expires", Output.text(c, "session_expires"));
      f.put("remote_address", Output.text(c, "remote_address"));
      f.put("last_seen", Output.text(c, "last_seen"));
      List<String> channels = new ArrayList<>();
      c.path("channels").forEach(ch -> channels.add(ch.asText()));
      f.put("channels", String.join(", ", channels));
      out.fields(f);
      return 0;
    }
  }

  @Command(name = "register", mixinStandardHelpOptions = true,
      description = "Register an agent with its public key (the agent's key pair comes from 'bin/aegis keygen').")
  static final class Register extends CtlLeaf {
    @Parameters(paramLabel = "ID", description = "The agent id.")
    String agentId;

    @Option(names = "--key", required = true, paramLabel = "FILE|B64",
        description = "The agent's public key: keygen's FILE.pub (SPKI PEM), its private key FILE (only the public half "
            + "is sent), or base64 of the raw 32-byte key.")
    String key;

    @Option(names = "--label", paramLabel = "K=V", description = "A label (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--metadata", paramLabel = "JSON", description = "Metadata: a JSON object, @FILE or - (stdin).")
    String metadata;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      IdentityPublicKey publicKey;
      try {
        publicKey = KeyFiles.publicKeyArgument(key);
      } catch (IllegalArgumentException e) {
        throw usage("--key: " + key + " is neither a key file nor a base64 public key: " + e.getMessage());
      } catch (IOException e) {
        throw usage("--key: cannot read " + key + ": " + e.getMessage());
      }
      ObjectNode body = GatewayApi.object().put("agent_id", agentId).put("public_key", publicKey.base64());
      if (!labels.isEmpty()) {
        ObjectNode l = body.putObject("labels");
        labels.forEach(l::put);
      }
      if (metadata != null) {
        body.set("metadata", jsonArgument("--metadata", metadata));
      }
      Output out = output(jsonFlag.json);
      JsonNode agent = api().post("/api/v1/agents", body);
      if (out.json()) {
        out.print(agent);
      } else {
        out.line("registered " + Output.text(agent, "agent_id") + " (key id " + publicKey.keyIdHex() + ")");
      }
      return 0;
    }
  }

  @Command(name = "deactivate", mixinStandardHelpOptions = true,
      description = "Deactivate an agent: its sessions end at once and it cannot authenticate until reactivated.")
  static final class Deactivate extends CtlLeaf {
    @Parameters(paramLabel = "ID", description = "The agent id.")
    String agentId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      return statusChange(this, jsonFlag, agentId, "deactivate", "deactivated");
    }
  }

  @Command(name = "reactivate", mixinStandardHelpOptions = true, description = "Reactivate a deactivated agent.")
  static final class Reactivate extends CtlLeaf {
    @Parameters(paramLabel = "ID", description = "The agent id.")
    String agentId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      return statusChange(this, jsonFlag, agentId, "reactivate", "reactivated");
    }
  }

  private static int statusChange(CtlLeaf leaf, CtlLeaf.JsonFlag jsonFlag, String agentId, String action, String done) {
    Output out = leaf.output(jsonFlag.json);
    JsonNode agent = leaf.api().post("/api/v1/agents/" + CtlLeaf.seg(agentId) + "/" + action, null);
    if (out.json()) {
      out.print(agent);
    } else {
      out.line(done + " " + agentId + " (status " + Output.text(agent, "status") + ")");
    }
    return 0;
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete one agent, or every agent matching --label (after a confirmation; --yes skips it). An "
          + "agent's labels and sessions go with it; its events stay.")
  static final class Delete extends CtlLeaf {
    @Parameters(paramLabel = "ID", arity = "0..1", description = "The agent id (or use --label).")
    String agentId;

    @Option(names = "--label", paramLabel = "K=V",
        description = "Delete every agent with this label (repeatable: all must match).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation.")
    boolean yes;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      if ((agentId == null) == labels.isEmpty()) {
        throw usage("give either an agent ID or --label K=V (not both)");
      }
      Output out = output(jsonFlag.json);
      GatewayApi api = api();
      if (agentId != null) {
        api.delete("/api/v1/agents/" + CtlLeaf.seg(agentId));
        if (out.json()) {
          out.print(GatewayApi.object().set("deleted", GatewayApi.JSON.createArrayNode().add(agentId)));
        } else {
          out.line("deleted " + agentId);
        }
        return 0;
      }
      List<String> ids = new ArrayList<>();
      api.pages("/api/v1/agents?" + labelQuery(labels), "agents", 0, a -> ids.add(a.path("agent_id").asText()));
      String selector = selector(labels);
      if (ids.isEmpty()) {
        if (out.json()) {
          out.print(GatewayApi.object().set("deleted", GatewayApi.JSON.createArrayNode()));
        } else {
          out.line("no agent matches " + selector);
        }
        return 0;
      }
      if (!yes && !confirm(out, ids, selector)) {
        throw usage("nothing deleted: " + ids.size() + " agent" + (ids.size() == 1 ? "" : "s")
            + " match " + selector + "; answer y to delete them, or pass --yes");
      }
      return deleteAll(api, out, ids);
    }

    private boolean confirm(Output out, List<String> ids, String selector) {
      String sample = String.join(", ", ids.subList(0, Math.min(5, ids.size()))) + (ids.size() > 5 ? ", …" : "");
      out.err().print("Delete " + ids.size() + " agent" + (ids.size() == 1 ? "" : "s") + " labelled " + selector
          + " (" + sample + ")? [y/N] ");
      out.err().flush();
      try {
        String answer = new BufferedReader(new InputStreamReader(CtlCommand.of(spec).in(), StandardCharsets.UTF_8))
            .readLine();
        if (answer == null) {
          out.note("");
        }
        return answer != null && List.of("y", "yes").contains(answer.trim().toLowerCase(Locale.ROOT));
      } catch (IOException e) {
        return false;
      }
    }

    private static int deleteAll(GatewayApi api, Output out, List<String> ids) {
      Semaphore slots = new Semaphore(DELETE_CONCURRENCY);
      List<String> deleted = java.util.Collections.synchronizedList(new ArrayList<>());
      Map<String, AtomicInteger> failures = new java.util.concurrent.ConcurrentHashMap<>();
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (String id : ids) {
        slots.acquireUninterruptibly();
        all.add(api.sendAsync("DELETE", "/api/v1/agents/" + CtlLeaf.seg(id), null, Map.of(), Duration.ZERO)
            .handle((v, err) -> {
              slots.release();
              Throwable c = err == null ? null : cause(err);
              if (c == null || c instanceof CtlFailure.Refused r && r.status() == 404) {
                deleted.add(id); // a 404: deleted meanwhile by someone else; gone either way
              } else {
                String why = c instanceof CtlFailure.Refused r ? r.code() : c.getMessage();
                failures.computeIfAbsent(why, k -> new AtomicInteger()).incrementAndGet();
              }
              return null;
            }));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
      if (out.json()) {
        ArrayNode d = GatewayApi.JSON.createArrayNode();
        deleted.stream().sorted().forEach(d::add);
        ObjectNode result = GatewayApi.object();
        result.set("deleted", d);
        ObjectNode f = result.putObject("failed");
        failures.forEach((k, v) -> f.put(k, v.get()));
        out.print(result);
      } else {
        out.line("deleted " + deleted.size() + " of " + ids.size() + " agents");
      }
      if (!failures.isEmpty()) {
        StringBuilder why = new StringBuilder();
        failures.forEach((k, v) -> why.append(why.isEmpty() ? "" : ", ").append(v.get()).append(" × ").append(k));
        throw new CtlFailure(CtlFailure.REFUSED, "not deleted: " + why);
      }
      return 0;
    }
  }
}
