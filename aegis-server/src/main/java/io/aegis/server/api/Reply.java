package io.aegis.server.api;

import java.util.Map;

/**
 * A successful answer: status, JSON body (or raw bytes) and extra headers.
 *
 * @param body a value serialized with {@link ApiJson}, a {@code byte[]} sent as is, or null for no body
 */
public record Reply(int status, Object body, String contentType, Map<String, String> headers) {

  public static Reply ok(Object body) {
    return new Reply(200, body, "application/json", Map.of());
  }

  public static Reply created(Object body) {
    return new Reply(201, body, "application/json", Map.of());
  }

  public static Reply accepted(Object body) {
    return new Reply(202, body, "application/json", Map.of());
  }

  public static Reply noContent() {
    return new Reply(204, null, null, Map.of());
  }

  public static Reply notModified(String etag) {
    return new Reply(304, null, null, Map.of("ETag", etag));
  }

  public static Reply bytes(byte[] content, String contentType) {
    return new Reply(200, content, contentType, Map.of());
  }

  public Reply withHeader(String name, String value) {
    var h = new java.util.LinkedHashMap<>(headers);
    h.put(name, value);
    return new Reply(status, body, contentType, Map.copyOf(h));
  }
}
