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
import picocli.CommandLine.Parameters;

/**
 * {@code ctl tokens …}: operator tokens through {@code /api/v1/operator-tokens} (the {@code admin}
 * scope), for when a gateway is at hand but its store is not ({@code bin/aegis admin create-token}
 * works on the store).
 */
@Command(name = "tokens", mixinStandardHelpOptions = true,
    description = "Operator tokens: list, create (with scopes, an agent label and an expiry), revoke. Needs a token "
        + "with the admin scope.",
    subcommands = {TokensCommand.ListTokens.class, TokensCommand.Create.class, TokensCommand.Revoke.class})
final class TokensCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  static final String PATH = "/api/v1/operator-tokens";

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code read,send}. */
  static String scopes(JsonNode token) {
    List<String> s = new ArrayList<>();
    token.path("scopes").forEach(x -> s.add(x.asText()));
    return String.join(",", s);
  }

  /** The agents it may address: its label, or all of them. */
  static String agents(JsonNode token) {
    String label = Output.text(token.path("agents"), "label");
    return label.isEmpty() ? "all agents" : label;
  }

  /** active, revoked or expired. */
  static String state(JsonNode token) {
    return token.path("revoked").asBoolean() ? "revoked" : token.path("active").asBoolean() ? "active" : "expired";
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Operator tokens, newest first (never their secrets).")
  static final class ListTokens extends CtlLeaf {
    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      // One answer holds them all: the list is not paged.
      output(jsonFlag.json).list(api().get(PATH).path("operator_tokens"),
          new Table("TOKEN ID", "NAME", "SCOPES", "AGENTS", "STATE", "EXPIRES", "CREATED"),
          t -> new Object[] {Output.text(t, "token_id"), Output.text(t, "name"), scopes(t), agents(t), state(t),
              t.path("expires_at").isTextual() ? Output.time(t, "expires_at") : "never", Output.time(t, "created_at")});
      return 0;
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create an operator token and print its secret, shown this once (the gateway keeps only its hash).")
  static final class Create extends CtlLeaf {
    @Option(names = "--name", required = true, paramLabel = "NAME", description = "What or whom it is for.")
    String name;

    @Option(names = "--scope", required = true, split = ",", paramLabel = "SCOPE",
        description = "What it may do (repeat, or separate with commas): read, send, broadcast, agents:write, "
            + "policies:write, approve, admin.")
    List<String> scopes = new ArrayList<>();

    @Option(names = "--agents-label", paramLabel = "NAME=VALUE",
        description = "Address only the agents carrying this label (not with admin).")
    String agentsLabel;

    @Option(names = "--expires-in", paramLabel = "DURATION", converter = CtlCommand.DurationConverter.class,
        description = "Refuse it after this long (12h, 30d); default: never.")
    Duration expiresIn;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      // The gateway checks the scopes (it knows which it has); the shape of the label is checked
      // here, so that a slip such as "--agents-label payments" is a usage error.
      if (agentsLabel != null && agentsLabel.indexOf('=') <= 0) {
        throw usage("--agents-label must be NAME=VALUE, such as team=payments");
      }
      if (expiresIn != null && (expiresIn.isZero() || expiresIn.isNegative())) {
        throw usage("--expires-in must be more than 0");
      }
      ObjectNode body = GatewayApi.object().put("name", name);
      scopes.forEach(body.putArray("scopes")::add);
      if (agentsLabel != null) {
        body.putObject("agents").put("label", agentsLabel);
      }
      if (expiresIn != null) {
        body.put("expires_in", Durations.format(expiresIn));
      }
      Output out = output(jsonFlag.json);
      JsonNode t = api().post(PATH, body);
      if (out.json()) {
        out.print(t);
        return 0;
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("token_id", Output.text(t, "token_id"));
      f.put("name", Output.text(t, "name"));
      f.put("scopes", scopes(t));
      f.put("agents", agents(t));
      f.put("expires_at", t.path("expires_at").isTextual() ? Output.text(t, "expires_at") : "never");
      f.put("token", Output.text(t, "token"));
      out.fields(f);
      out.note("the token is shown this once: the gateway keeps only its hash. Store it now; revoke it with "
          + "'bin/aegis ctl tokens revoke " + Output.text(t, "token_id") + "'");
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke an operator token: every node refuses it from its next request on.")
  static final class Revoke extends CtlLeaf {
    @Parameters(paramLabel = "TOKEN_ID", description = "The token's id (from 'tokens list'), not its secret.")
    String tokenId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      if (tokenId.startsWith("aegis_op_")) {
        // A secret given here would go to the gateway as part of the path, which the audit log records.
        throw usage("TOKEN_ID is the token's id from 'tokens list', not its secret");
      }
      Output out = output(jsonFlag.json);
      api().delete(PATH + "/" + seg(tokenId));
      if (out.json()) {
        out.print(GatewayApi.object().put("revoked", tokenId));
      } else {
        out.line("revoked " + tokenId);
      }
      return 0;
    }
  }
}
