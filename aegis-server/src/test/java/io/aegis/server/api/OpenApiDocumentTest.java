package io.aegis.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document and the routes the server registers must agree exactly: a route missing
 * from the document, or a document entry with no route, fails the build. So must each
 * operation's security (with the route's {@link Access}), its path parameters and its references.
 */
class OpenApiDocumentTest {
  /** Routes outside {@link ApiRouter} (mounted by {@code HealthRoutes}), which the document also lists. */
  static final Set<String> HEALTH_ROUTES = Set.of("GET /healthz", "GET /readyz", "GET /metrics");
  static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

  static TestGateway gw;
  static JsonNode doc;

  @BeforeAll
  static void start() throws IOException {
    gw = TestGateway.start(StoreKind.SQLITE);
    doc = new ObjectMapper().readTree(OpenApiRoutes.load());
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  /** {@code "METHOD /path"} → operation, for every operation in the document. */
  static Map<String, JsonNode> operations() {
    Map<String, JsonNode> ops = new TreeMap<>();
    doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
      if (METHODS.contains(op.getKey())) {
        ops.put(op.getKey().toUpperCase() + " " + path.getKey(), op.getValue());
      }
    }));
    return ops;
  }

  static Map<String, RouteSpec> routes() {
    Map<String, RouteSpec> routes = new TreeMap<>();
    gw.server().routes().forEach(r -> routes.put(r.method() + " " + r.openApiPath(), r));
    return routes;
  }

  @Test
  void theDocumentIsOpenApi303() {
    assertThat(doc.path("openapi").asText()).isEqualTo("3.0.3");
    assertThat(doc.path("info").path("title").asText()).isNotBlank();
    assertThat(doc.path("components").path("securitySchemes").has("operatorToken")).isTrue();
    assertThat(doc.path("components").path("securitySchemes").has("agentSession")).isTrue();
    assertThat(doc.path("components").path("schemas").path("Error").path("properties").path("error")
        .path("required").toString()).isEqualTo("[\"code\",\"message\"]");
  }

  @Test
  void everyRegisteredRouteIsDocumentedAndNothingElse() {
    Set<String> registered = new TreeSet<>(routes().keySet());
    registered.addAll(HEALTH_ROUTES);
    Set<String> documented = operations().keySet();

    Set<String> missing = new TreeSet<>(registered);
    missing.removeAll(documented);
    Set<String> stale = new TreeSet<>(documented);
    stale.removeAll(registered);
    assertThat(missing).as("routes the server registers but openapi.json does not document").isEmpty();
    assertThat(stale).as("operations openapi.json documents but the server does not register").isEmpty();
  }

  @Test
  void eachOperationsSecurityMatchesItsRoutesAccess() {
    Map<String, JsonNode> ops = operations();
    routes().forEach((key, route) -> {
      Set<String> schemes = new TreeSet<>();
      ops.get(key).path("security").forEach(req -> req.fieldNames().forEachRemaining(schemes::add));
      Set<String> expected = switch (route.access().who()) {
        case PUBLIC -> Set.of();
        case OPERATOR -> Set.of("operatorToken");
        case SELF -> Set.of("agentSession");
        case OPERATOR_OR_SELF, AUTHENTICATED -> Set.of("agentSession", "operatorToken");
      };
      assertThat(ops.get(key).has("security")).as(key + " states its security").isTrue();
      assertThat(schemes).as(key + " (" + route.access() + ")").isEqualTo(expected);
      // The scope an operator token needs is part of the contract, and the document states it.
      assertThat(ops.get(key).path("x-aegis-scope").asText(null)).as(key + " x-aegis-scope")
          .isEqualTo(route.access().scope() == null ? null : route.access().scope().wire());
      JsonNode responses = ops.get(key).path("responses");
      if (route.access() != Access.PUBLIC) {
        assertThat(responses.has("401")).as(key + " documents 401").isTrue();
        assertThat(responses.has("403")).as(key + " documents 403").isTrue();
      }
      assertThat(responses.properties()).as(key + " documents a success").anyMatch(e -> e.getKey().startsWith("2"));
    });
  }

  @Test
  void everyPathParameterIsDeclared() {
    Pattern param = Pattern.compile("\\{([a-z_]+)}");
    operations().forEach((key, op) -> {
      Set<String> declared = new TreeSet<>();
      for (JsonNode p : op.path("parameters")) {
        JsonNode resolved = resolve(p);
        if ("path".equals(resolved.path("in").asText())) {
          declared.add(resolved.path("name").asText());
        }
      }
      Set<String> inPath = new TreeSet<>();
      Matcher m = param.matcher(key);
      while (m.find()) {
        inPath.add(m.group(1));
      }
      assertThat(declared).as(key).isEqualTo(inPath);
    });
  }

  @Test
  void everyReferenceResolves() {
    List<String> refs = new ArrayList<>();
    collectRefs(doc, refs);
    assertThat(refs).isNotEmpty();
    for (String ref : refs) {
      assertThat(ref).startsWith("#/");
      assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
    }
  }

  @Test
  void theDocumentIsServedToAnyone() {
    var r = gw.anonymous().get("/api/v1/openapi.json");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    assertThat(r.raw()).isEqualTo(OpenApiRoutes.load());
    var again = gw.anonymous().get("/api/v1/openapi.json", Map.of("If-None-Match", r.header("ETag")));
    assertThat(again.status()).isEqualTo(304);
  }

  @Test
  void theHealthRoutesItListsExist() {
    for (String route : HEALTH_ROUTES) {
      assertThat(gw.anonymous().get(route.substring(4)).status()).as(route).isEqualTo(200);
    }
  }

  static JsonNode resolve(JsonNode node) {
    return node.has("$ref") ? doc.at(node.path("$ref").asText().substring(1)) : node;
  }

  /** What the document says of a body is what the gateway does: an operation without one refuses one. */
  @Test
  void everyOperationWithoutARequestBodyRefusesOne() {
    var operator = gw.operator();
    List<String> checked = new ArrayList<>();
    operations().forEach((key, op) -> {
      RouteSpec route = routes().get(key);
      if (op.has("requestBody") || route == null || route.access() == Access.SELF) {
        return; // SELF: an operator is refused before the body is looked at
      }
      String method = key.substring(0, key.indexOf(' '));
      String path = key.substring(key.indexOf(' ') + 1).replaceAll("\\{[a-z_]+}", "no-such-thing");
      var r = operator.send(method, path, Map.of("unexpected", true), Map.of());
      assertThat(r.status()).as(key).isEqualTo(400);
      assertThat(r.json().path("error").path("code").asText()).as(key).isEqualTo("unexpected_body");
      if (!method.equals("GET")) {
        // {} is no body: some clients always send one.
        assertThat(operator.send(method, path, "{}", Map.of()).json().path("error").path("code").asText())
            .as(key + " with {}").isNotEqualTo("unexpected_body");
      }
      checked.add(key);
    });
    assertThat(checked).contains("DELETE /api/v1/agents/{agent_id}", "POST /api/v1/nodes/{node_id}/drain",
        "POST /api/v1/agents/{agent_id}/deactivate");
  }

  static void collectRefs(JsonNode node, List<String> out) {
    if (node.isObject()) {
      node.properties().forEach(e -> {
        if (e.getKey().equals("$ref")) {
          out.add(e.getValue().asText());
        } else {
          collectRefs(e.getValue(), out);
        }
      });
    } else if (node.isArray()) {
      node.forEach(n -> collectRefs(n, out));
    }
  }
}
