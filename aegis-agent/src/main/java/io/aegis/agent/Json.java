package io.aegis.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;

/** The SDK's one Jackson mapper and the few JSON shapes it builds. Thread-safe. */
final class Json {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {
  }

  static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("body cannot be written as JSON: " + e.getMessage(), e);
    }
  }

  static JsonNode parse(byte[] utf8) {
    try {
      return MAPPER.readTree(utf8);
    } catch (IOException e) {
      throw new UncheckedIOException("body is not JSON: " + e.getMessage(), e);
    }
  }

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** {@code {"<field>":["a","b",...]}}. */
  static byte[] stringList(String field, Collection<String> values) {
    ObjectNode o = object();
    ArrayNode a = o.putArray(field);
    values.forEach(a::add);
    return bytes(o);
  }
}
