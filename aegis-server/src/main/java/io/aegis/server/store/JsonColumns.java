package io.aegis.server.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.ApiJson;

/**
 * JSON values in JSON columns (JSONB on PostgreSQL, TEXT on SQLite), which bind and read as
 * strings on both stores. Thread-safe.
 */
public final class JsonColumns {
  private JsonColumns() {}

  /** {@code node} as the text to bind. */
  public static String write(JsonNode node) {
    try {
      return ApiJson.MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialize a JSON tree", e);
    }
  }

  /** A column's text as JSON; a {@link StoreException} if the store holds something that is not JSON. */
  public static JsonNode read(String text) {
    try {
      return ApiJson.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new StoreException("a JSON column holds malformed JSON: " + e.getOriginalMessage(), e);
    }
  }
}
