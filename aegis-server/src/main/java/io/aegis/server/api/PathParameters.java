package io.aegis.server.api;

import io.aegis.protocol.Identifiers;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One rule per kind of path parameter, checked by the router before any endpoint runs: every
 * route that names an agent, a message, a policy... refuses a malformed one the same way (400
 * {@code invalid_request} "invalid agent_id: ..."), instead of each endpoint answering it in its
 * own way (or looking it up and answering 404). A route whose template has a parameter without a
 * rule is refused at registration.
 */
public final class PathParameters {
  /** Policy names: also the rule {@code PUT /api/v1/policies/{name}} creates them by. */
  public static final Pattern POLICY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  /** Node ids, as {@code AEGIS_NODE_ID} takes them. */
  public static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private static final Map<String, Function<String, String>> RULES = Map.of(
      "agent_id", Identifiers::agentIdError,
      "message_id", Identifiers::messageIdError,
      "name", v -> POLICY_NAME.matcher(v).matches() ? null
          : "a policy name is 1-128 characters of A-Za-z0-9._- starting with a letter or digit",
      "version", v -> v.matches("[1-9][0-9]{0,9}") && Long.parseLong(v) <= Integer.MAX_VALUE ? null
          : "a policy version is a whole number from 1",
      "node_id", v -> NODE_ID.matcher(v).matches() ? null : "a node id is 1-64 characters of A-Za-z0-9._:-",
      "token_id", PathParameters::uuidError,
      "artifact_id", PathParameters::uuidError,
      "assignment_id", PathParameters::uuidError,
      "approval_id", PathParameters::uuidError);

  private PathParameters() {}

  private static String uuidError(String v) {
    return UUID.matcher(v).matches() ? null : "an id here is a UUID (8-4-4-4-12 hexadecimal digits)";
  }

  /** Whether {@code name} has a rule (registration refuses a route with a parameter that has none). */
  static boolean known(String name) {
    return RULES.containsKey(name);
  }

  /** @throws ApiException 400 naming the first parameter that breaks its rule */
  static void check(Map<String, String> params) {
    for (Map.Entry<String, String> p : params.entrySet()) {
      Function<String, String> rule = RULES.get(p.getKey());
      String error = rule == null ? null : rule.apply(p.getValue());
      if (error != null) {
        throw ApiException.invalid("invalid " + p.getKey() + ": " + error);
      }
    }
  }
}
