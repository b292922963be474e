package io.aegis.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** A small, real HTTP client for API tests: JSON in, status + headers + JSON out. */
public final class ApiClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Waits.EVENT)
      .version(HttpClient.Version.HTTP_1_1)
      .build();

  private final String baseUrl;
  private final String token;
  private final HttpClient http;

  public ApiClient(String baseUrl, String token) {
    this(baseUrl, token, null);
  }

  /** A client for an HTTPS gateway whose certificate {@code ssl} trusts ({@code null}: the JDK default). */
  public ApiClient(String baseUrl, String token, javax.net.ssl.SSLContext ssl) {
    this.baseUrl = baseUrl;
    this.token = token;
    this.http = ssl == null ? HTTP : HttpClient.newBuilder()
        .connectTimeout(Waits.EVENT)
        .version(HttpClient.Version.HTTP_1_1)
        .sslContext(ssl)
        .build();
  }

  /** A response: status, headers, raw body and the body parsed as JSON (MissingNode if not JSON). */
  public record Response(int status, Map<String, java.util.List<String>> headers, byte[] raw, JsonNode json) {
    public String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .findFirst()
          .map(e -> e.getValue().get(0))
          .orElse(null);
    }

    public String body() {
      return new String(raw, StandardCharsets.UTF_8);
    }

    /** The error code of an error response ({@code error.code}). */
    public String errorCode() {
      return json.path("error").path("code").asText(null);
    }

    @Override
    public String toString() {
      return status + " " + body();
    }
  }

  public Response get(String path) {
    return send("GET", path, null, Map.of());
  }

  public Response get(String path, Map<String, String> headers) {
    return send("GET", path, null, headers);
  }

  public Response delete(String path) {
    return send("DELETE", path, null, Map.of());
  }

  /** POST with a JSON body given as a Java value (serialized) or a String (sent as is). */
  public Response post(String path, Object body) {
    return send("POST", path, body, Map.of());
  }

  public Response put(String path, Object body) {
    return send("PUT", path, body, Map.of());
  }

  public Response patch(String path, Object body) {
    return send("PATCH", path, body, Map.of());
  }

  /**
   * Sends without waiting: cancelling the returned future aborts the request (the server sees the
   * client go away). For long polls.
   */
  public java.util.concurrent.CompletableFuture<Response> sendAsync(String method, String path, Object body,
                                                                     Map<String, String> headers) {
    HttpRequest request;
    try {
      request = request(method, path, body, headers, Duration.ofSeconds(90));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(ApiClient::response);
  }

  private HttpRequest request(String method, String path, Object body, Map<String, String> headers, Duration timeout)
      throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    boolean hasContentType = headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("Content-Type"));
    headers.forEach(b::header);
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      byte[] bytes = body instanceof byte[] raw ? raw
          : body instanceof String s ? s.getBytes(StandardCharsets.UTF_8)
          : JSON.writeValueAsBytes(body);
      if (!hasContentType) {
        b.header("Content-Type", "application/json");
      }
      b.method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
    }
    return b.build();
  }

  private static Response response(HttpResponse<byte[]> r) {
    JsonNode json;
    try {
      json = r.body().length == 0 ? MissingNode.getInstance() : JSON.readTree(r.body());
    } catch (IOException e) {
      json = MissingNode.getInstance();
    }
    return new Response(r.statusCode(), r.headers().map(), r.body(), json);
  }

  public Response send(String method, String path, Object body, Map<String, String> headers) {
    try {
      // Longer than any wait a test asks the gateway for (long polls, sends with "wait").
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(90));
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      boolean hasContentType = headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("Content-Type"));
      headers.forEach(b::header);
      if (body == null) {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        byte[] bytes = body instanceof byte[] raw ? raw
            : body instanceof String s ? s.getBytes(StandardCharsets.UTF_8)
            : JSON.writeValueAsBytes(body);
        if (!hasContentType) {
          b.header("Content-Type", "application/json");
        }
        b.method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
      }
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      JsonNode json;
      try {
        json = r.body().length == 0 ? MissingNode.getInstance() : JSON.readTree(r.body());
      } catch (IOException e) {
        json = MissingNode.getInstance();
      }
      return new Response(r.statusCode(), r.headers().map(), r.body(), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
