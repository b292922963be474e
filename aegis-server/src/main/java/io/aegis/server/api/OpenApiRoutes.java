package io.aegis.server.api;

import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /api/v1/openapi.json} (public): the OpenAPI 3.0.3 document of the whole REST API,
 * served as the bytes of the {@code openapi.json} resource, with an ETag. The document is
 * written by hand; {@code OpenApiDocumentTest} fails when it and the registered routes disagree.
 */
public final class OpenApiRoutes {
  /** The classpath resource holding the document. */
  public static final String RESOURCE = "/openapi.json";

  private OpenApiRoutes() {}

  public static void mount(ApiRouter api) {
    byte[] document = load();
    String etag = ETags.digest((Object) document);
    api.route(HttpMethod.GET, "/api/v1/openapi.json", Access.PUBLIC, r -> ETags.matches(r, etag)
        ? Reply.notModified(ETags.quoted(etag))
        : Reply.bytes(document, "application/json").withHeader("ETag", ETags.quoted(etag)));
  }

  /**
   * The operations the document gives no request body, as {@code "POST /api/v1/nodes/{node_id}/drain"}:
   * the router refuses a body sent to one of them, so that what the document says is what the
   * gateway does (a body is never silently ignored).
   */
  public static java.util.Set<String> bodilessOperations() {
    com.fasterxml.jackson.databind.JsonNode paths = ApiJson.tree(load()).path("paths");
    java.util.Set<String> out = new java.util.HashSet<>();
    paths.fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
      if (op.getValue().isObject() && !op.getValue().has("requestBody")) {
        out.add(op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + p.getKey());
      }
    }));
    return java.util.Set.copyOf(out);
  }

  /** The document's bytes, read once at start. */
  public static byte[] load() {
    try (InputStream in = OpenApiRoutes.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the OpenAPI document " + RESOURCE + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the OpenAPI document", e);
    }
  }
}
