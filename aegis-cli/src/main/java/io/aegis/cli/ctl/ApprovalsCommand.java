package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ctl approvals …}: the sends and broadcasts kept for a second operator's approval
 * ({@code /api/v1/approvals}, docs/API.md "Approvals"), listed, shown, approved and rejected.
 */
@Command(name = "approvals", mixinStandardHelpOptions = true,
    description = "Sends and broadcasts awaiting a second operator's approval: list, show, approve, reject.",
    subcommands = {ApprovalsCommand.ListApprovals.class, ApprovalsCommand.Show.class, ApprovalsCommand.Approve.class,
        ApprovalsCommand.Reject.class})
final class ApprovalsCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** The statuses the gateway filters on, and {@code all} for no filter. */
  static final List<String> STATUSES = List.of("awaiting_approval", "approved", "rejected", "expired", "all");

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static String path(String approvalId) {
    return "/api/v1/approvals/" + CtlLeaf.seg(approvalId);
  }

  /** Whom it is for: a send's agent, or a broadcast's number of agents when it was asked. */
  static String target(JsonNode a) {
    if (Output.text(a, "kind").equals("send")) {
      return Output.text(a, "agent_id");
    }
    int n = a.path("recipients").asInt();
    return n + " agent" + (n == 1 ? "" : "s");
  }

  /** A token reference ({@code {"token_id", "name"}}) for people: {@code name (token_id)}. */
  static String token(JsonNode ref) {
    if (ref.isMissingNode() || ref.isNull()) {
      return "";
    }
    return Output.text(ref, "name") + " (" + Output.text(ref, "token_id") + ")";
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Approvals, newest first; by default those still awaiting a decision.")
  static final class ListApprovals extends CtlLeaf {
    @Option(names = "--status", paramLabel = "STATUS", defaultValue = "awaiting_approval",
        description = "awaiting_approval (default), approved, rejected, expired, or all.")
    String status;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
        description = "At most N approvals (default ${DEFAULT-VALUE}; 0: all).")
    int limit;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      if (!STATUSES.contains(status)) {
        throw usage("--status must be one of " + String.join(", ", STATUSES));
      }
      if (limit < 0) {
        throw usage("--limit must be 0 (all) or more");
      }
      Output out = output(jsonFlag.json);
      String path = "/api/v1/approvals" + (status.equals("all") ? "" : "?status=" + seg(status));
      ArrayNode all = GatewayApi.JSON.createArrayNode();
      boolean more = api().pages(path, "approvals", limit, all::add);
      Table t = new Table("APPROVAL ID", "KIND", "CHANNEL", "TO", "REQUESTED BY", "STATUS", "EXPIRES");
      out.list(all, t, a -> new Object[] {Output.text(a, "approval_id"), Output.text(a, "kind"),
          Output.text(a, "channel"), target(a), Output.text(a.path("requested_by"), "name"), Output.text(a, "status"),
          Output.time(a, "expires_at")});
      if (more) {
        out.note("(more approvals than --limit " + limit + ")");
      } else if (!out.json() && t.size() == 0) {
        out.note(status.equals("awaiting_approval") ? "nothing awaits approval" : "no " + status + " approval");
      }
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "An approval: what was asked (the request as sent), by whom, why it needs approval, and once "
          + "decided, by whom and what the request got.")
  static final class Show extends CtlLeaf {
    @Parameters(paramLabel = "APPROVAL_ID", description = "The approval id (from send, broadcast or 'approvals list').")
    String approvalId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      Output out = output(jsonFlag.json);
      JsonNode a = api().get(path(approvalId));
      if (out.json()) {
        out.print(a);
        return 0;
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("approval_id", Output.text(a, "approval_id"));
      f.put("kind", Output.text(a, "kind"));
      boolean send = Output.text(a, "kind").equals("send");
      f.put(send ? "agent_id" : "recipients", target(a));
      f.put("channel", Output.text(a, "channel"));
      f.put("reason", Output.text(a, "reason"));
      f.put("requested_by", token(a.path("requested_by")));
      f.put("status", Output.text(a, "status"));
      f.put("created_at", Output.text(a, "created_at"));
      f.put("expires_at", Output.text(a, "expires_at"));
      f.put("decided_by", token(a.path("decided_by")));
      f.put("decided_at", Output.text(a, "decided_at"));
      f.put("result_status", Output.text(a, "result_status"));
      f.put("result", Output.compact(a.path("result")));
      f.put("request", Output.compact(a.path("request")));
      out.fields(f);
      return 0;
    }
  }

  @Command(name = "approve", mixinStandardHelpOptions = true,
      description = "Approve a request another operator token made: it is sent at once, as it was asked. Prints the "
          + "message id (and a broadcast's recipients). Exit status 1 if the gateway then refused the request "
          + "(say, the agent was deleted meanwhile).")
  static final class Approve extends CtlLeaf {
    @Parameters(paramLabel = "APPROVAL_ID", description = "The approval id.")
    String approvalId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      Output out = output(jsonFlag.json);
      JsonNode a = api().post(path(approvalId) + "/approve", null);
      int resultStatus = a.path("result_status").asInt(200);
      JsonNode result = a.path("result");
      if (out.json()) {
        out.print(a);
      } else {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("approval_id", Output.text(a, "approval_id"));
        f.put("status", Output.text(a, "status"));
        f.put("message_id", Output.text(result, "message_id"));
        if (Output.text(a, "kind").equals("send")) {
          // The send's own status: sent (the agent is connected) or queued.
          f.put("delivery", Output.text(result, "status"));
        } else if (result.has("counts")) {
          f.put("recipients", BroadcastProgress.accepted(result).reach());
        }
        out.fields(f);
      }
      if (resultStatus < 200 || resultStatus >= 300) {
        // Approved, and so never to be asked again, but what it asked for did not happen.
        JsonNode error = result.path("error");
        throw new CtlFailure.Refused(resultStatus, Output.text(error, "code"), "approved, but the "
            + Output.text(a, "kind") + " was refused: " + Output.text(error, "message"));
      }
      if (!out.json()) {
        out.note("follow it with 'bin/aegis ctl messages show " + Output.text(result, "message_id") + "'");
      }
      return 0;
    }
  }

  @Command(name = "reject", mixinStandardHelpOptions = true,
      description = "Reject a request: it is never sent. A token may reject its own request.")
  static final class Reject extends CtlLeaf {
    @Parameters(paramLabel = "APPROVAL_ID", description = "The approval id.")
    String approvalId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      Output out = output(jsonFlag.json);
      JsonNode a = api().post(path(approvalId) + "/reject", null);
      if (out.json()) {
        out.print(a);
      } else {
        out.line("rejected " + Output.text(a, "approval_id") + ": the " + Output.text(a, "kind") + " on "
            + Output.text(a, "channel") + " to " + target(a) + " will not be sent");
      }
      return 0;
    }
  }
}
