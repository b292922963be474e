package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ctl audit}: the audit log of state-changing operator requests ({@code GET /api/v1/audit},
 * the {@code admin} scope), newest first. Verifying the chain is {@code bin/aegis admin audit
 * verify}'s, where the store is.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "The audit log: every state-changing request made with an operator token, refused ones too, newest "
        + "first. Needs a token with the admin scope. To verify the chain, run 'bin/aegis admin audit verify' where "
        + "the gateway runs.")
final class AuditCommand extends CtlLeaf {
  @Option(names = "--token-id", paramLabel = "ID", description = "Only requests made with this token (its id).")
  String tokenId;

  @Option(names = "--action", paramLabel = "ACTION",
      description = "Only this method and route, such as 'POST /api/v1/agents/{agent_id}/send'.")
  String action;

  @Option(names = "--message-id", paramLabel = "ID", description = "Only the requests that created this message.")
  String messageId;

  @Option(names = "--since", paramLabel = "TIME", description = "Recorded at or after this time (RFC 3339).")
  String since;

  @Option(names = "--until", paramLabel = "TIME", description = "Recorded before this time (RFC 3339).")
  String until;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
      description = "At most N entries (default ${DEFAULT-VALUE}; 0: all).")
  int limit;

  @Mixin JsonFlag jsonFlag;

  @Override
  public Integer call() {
    if (limit < 0) {
      throw usage("--limit must be 0 (all) or more");
    }
    StringBuilder q = new StringBuilder();
    filter(q, "token_id", tokenId);
    filter(q, "action", action);
    filter(q, "message_id", messageId);
    filter(q, "since", time("--since", since));
    filter(q, "until", time("--until", until));
    Output out = output(jsonFlag.json);
    ArrayNode entries = GatewayApi.JSON.createArrayNode();
    boolean more = api().pages("/api/v1/audit" + (q.isEmpty() ? "" : "?" + q), "entries", limit, entries::add);
    Table t = new Table("SEQ", "AT", "TOKEN", "ACTION", "RESOURCE", "STATUS");
    out.list(entries, t, e -> new Object[] {Output.text(e, "seq"), Output.time(e, "at"), Output.text(e, "token_name"),
        Output.text(e, "action"), Output.text(e, "resource"), outcome(e)});
    if (more) {
      out.note("(more entries than --limit " + limit + ")");
    } else if (!out.json() && t.size() == 0) {
      out.note("no entry matches");
    }
    return 0;
  }

  /** The HTTP status, with the error code of a refusal: {@code 202}, {@code 403 insufficient_scope}. */
  static String outcome(JsonNode e) {
    String code = Output.text(e, "error_code");
    return Output.text(e, "status") + (code.isEmpty() ? "" : " " + code);
  }

  private static void filter(StringBuilder q, String name, String value) {
    if (value != null) {
      q.append(q.isEmpty() ? "" : "&").append(name).append('=').append(GatewayApi.encode(value));
    }
  }

  /** An RFC 3339 time, checked here so that a typo is a usage error rather than the gateway's 400. */
  private String time(String option, String value) {
    if (value == null) {
      return null;
    }
    try {
      return Instant.parse(value).toString();
    } catch (DateTimeParseException e) {
      throw usage(option + " must be an RFC 3339 time such as 2026-11-25T20:40:00Z, not '" + value + "'");
    }
  }
}
