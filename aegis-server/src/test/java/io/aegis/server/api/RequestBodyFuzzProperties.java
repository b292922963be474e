package io.aegis.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.testing.Hostile;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every REST request body type, read from hostile variants of a well-formed body ({@link Hostile}):
 * {@link ApiJson#read} either returns a value or refuses with an {@link ApiException} (400 or 422,
 * the JSON error a client sees), never another exception, which the router would answer with 500.
 * {@code -Pfuzz} runs 1,000,000 tries (docs/ARCHITECTURE.md, "Fuzzing").
 */
class RequestBodyFuzzProperties {
  /** The types the routes read with {@code ApiRequest.body(type)}. */
  static final List<String> BODIES = List.of(
      "io.aegis.server.policy.PolicyRoutes$AssignBody",
      "io.aegis.server.auth.AuthenticationRequest",
      "io.aegis.server.delivery.MessageRoutes$BroadcastRequest",
      "io.aegis.server.delivery.MessageRoutes$SendRequest",
      "io.aegis.server.delivery.MessageRoutes$BatchItemRequest",
      "io.aegis.server.registry.EnrollmentRoutes$CreateRequest",
      "io.aegis.server.registry.EnrollmentRoutes$EnrollRequest",
      "io.aegis.server.event.EventBatch",
      "io.aegis.server.polling.PollingRoutes$PlainAck",
      "io.aegis.server.artifact.PublishRequest",
      "io.aegis.server.policy.PolicyRoutes$PutBody",
      "io.aegis.server.registry.AgentRoutes$RegisterRequest",
      "io.aegis.server.registry.AgentRoutes$UpdateRequest",
      "io.aegis.server.registry.KeyRotationRoutes$RotateKeyRequest");

  @Provide
  Arbitrary<String> bodies() {
    return Arbitraries.of(BODIES);
  }

  @Property
  void everyBodyIsReadOrRefusedWithAJsonError(@ForAll("bodies") String type, @ForAll long seed) throws Exception {
    Class<?> cls = Class.forName(type);
    String sample = ApiJson.MAPPER.writeValueAsString(sample(cls));
    String body = Hostile.mutate(sample, seed);
    try {
      ApiJson.read(body.getBytes(StandardCharsets.UTF_8), cls);
    } catch (ApiException e) {
      if (e.status() != 400 && e.status() != 422) {
        throw new AssertionError("status " + e.status() + " for " + body, e);
      }
    } catch (RuntimeException | StackOverflowError e) {
      throw new AssertionError(cls.getSimpleName() + ": undocumented " + e + " for "
          + body.substring(0, Math.min(300, body.length())), e);
    }
  }

  /** A well-formed instance of a record type as JSON: every component present with a plausible value. */
  static ObjectNode sample(Class<?> record) {
    ObjectNode o = ApiJson.MAPPER.createObjectNode();
    for (RecordComponent c : record.getRecordComponents()) {
      String name = c.getName().replaceAll("([A-Z])", "_$1").toLowerCase();
      o.set(name, value(c.getGenericType()));
    }
    return o;
  }

  private static JsonNode value(Type t) {
    var f = ApiJson.MAPPER.getNodeFactory();
    Class<?> raw = t instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) t;
    if (raw == String.class) {
      return f.textNode("agent-1");
    } else if (raw == Long.class || raw == long.class || raw == Integer.class || raw == int.class) {
      return f.numberNode(5);
    } else if (raw == Boolean.class || raw == boolean.class) {
      return f.booleanNode(true);
    } else if (JsonNode.class.isAssignableFrom(raw)) {
      return f.objectNode().put("a", 1);
    } else if (Map.class.isAssignableFrom(raw)) {
      return f.objectNode().set("k", value(((ParameterizedType) t).getActualTypeArguments()[1]));
    } else if (List.class.isAssignableFrom(raw)) {
      return f.arrayNode().add(value(((ParameterizedType) t).getActualTypeArguments()[0]));
    } else if (raw.isRecord()) {
      return sample(raw);
    }
    return f.textNode("x");
  }
}
