package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The 202 answer of a send or broadcast that the gateway kept for a second operator's approval
 * (docs/API.md, "Approvals"): {@code {"approval_id", "status": "awaiting_approval", "reason",
 * "expires_at"}}, with no message id. Nothing was sent, so there is nothing to follow yet; what
 * the user needs is the approval id to hand to whoever approves it.
 */
final class AwaitingApproval {
  private AwaitingApproval() {}

  /** Whether {@code answer} is a request kept for approval rather than a message. */
  static boolean is(JsonNode answer) {
    return answer != null && answer.path("approval_id").isTextual() && !answer.has("message_id");
  }

  /** Prints it: the answer as is in JSON, else its fields and, on standard error, what happens next. */
  static void show(Output out, JsonNode answer) {
    if (out.json()) {
      out.print(answer);
      return;
    }
    String id = Output.text(answer, "approval_id");
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("approval_id", id);
    f.put("status", Output.text(answer, "status"));
    f.put("reason", Output.text(answer, "reason"));
    f.put("expires_at", Output.text(answer, "expires_at"));
    out.fields(f);
    out.note("not sent: it awaits a second operator's approval ('bin/aegis ctl approvals approve " + id
        + "'); unapproved, it expires at " + Output.time(answer, "expires_at") + " and is never sent");
  }
}
