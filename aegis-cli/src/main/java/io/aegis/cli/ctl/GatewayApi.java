package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

/**
 * The gateway's operator REST API (docs/API.md) over the JDK's HTTP client, with the operator
 * token as a bearer token. A 2xx answer is returned as JSON (null for 204); any other answer
 * becomes {@link CtlFailure.Refused} with the gateway's error code, and a request that gets no
 * answer becomes a {@link CtlFailure} with exit status 3 that says why in words.
 *
 * <p>Thread-safe; {@link #sendAsync} lets callers keep several requests in flight.
 */
public final class GatewayApi {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final URI base;
  private final String token;
  private final boolean customTrust;
  private final Duration timeout;
  private final HttpClient http;

  /**
   * @param base    the gateway's base URL ({@code https://host:port}, optionally with a path prefix)
   * @param token   the operator token
   * @param ssl     TLS context trusting the gateway's CA, or null for the JDK's default trust
   * @param timeout how long one request may take (a send that waits adds its wait)
   */
  public GatewayApi(URI base, String token, SSLContext ssl, Duration timeout) {
    this.base = base;
    this.token = token;
    this.customTrust = ssl != null;
    this.timeout = timeout;
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER);
    if (ssl != null) {
      b.sslContext(ssl);
    }
    this.http = b.build();
  }

  public URI base() {
    return base;
  }

  public JsonNode get(String path) {
    return send("GET", path, null, Map.of(), timeout);
  }

  public JsonNode post(String path, JsonNode body) {
    return send("POST", path, body, Map.of(), timeout);
  }

  public JsonNode put(String path, JsonNode body) {
    return send("PUT", path, body, Map.of(), timeout);
  }

  public JsonNode delete(String path) {
    return send("DELETE", path, null, Map.of(), timeout);
  }

  /** A request with extra headers, waiting up to {@code extraWait} longer than usual for the answer. */
  public JsonNode send(String method, String path, JsonNode body, Map<String, String> headers, Duration extraWait) {
    // A request with an idempotency key is safe to send again: when no answer came (the gateway
    // unreachable, a timeout) or it was a 502/503/504, try twice more with the same key.
    int attempts = headers.containsKey("Idempotency-Key") ? 3 : 1;
    for (int attempt = 1; ; attempt++) {
      try {
        return sendAsync(method, path, body, headers, extraWait).join();
      } catch (CompletionException e) {
        CtlFailure f = e.getCause() instanceof CtlFailure c ? c : null;
        if (f == null) {
          throw e;
        }
        boolean worthRetrying = f.exitCode() == CtlFailure.UNREACHABLE
            || f instanceof CtlFailure.Refused r && (r.status() == 502 || r.status() == 503 || r.status() == 504);
        if (attempt >= attempts || !worthRetrying) {
          throw f;
        }
        try {
          Thread.sleep(500L * attempt);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw f;
        }
      }
    }
  }

  /** As {@link #send}, without blocking; the future fails with a {@link CtlFailure}. */
  public CompletableFuture<JsonNode> sendAsync(String method, String path, JsonNode body, Map<String, String> headers,
                                               Duration extraWait) {
    HttpRequest.Builder r = HttpRequest.newBuilder(uri(path))
        .timeout(timeout.plus(extraWait))
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json")
        .header("User-Agent", "aegis-ctl/" + io.aegis.cli.BuildInfo.version());
    headers.forEach(r::header);
    if (body != null) {
      r.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofByteArray(write(body)));
    } else {
      r.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.sendAsync(r.build(), HttpResponse.BodyHandlers.ofByteArray())
        .handle((resp, err) -> {
          if (err != null) {
            throw new CompletionException(unreachable(err));
          }
          return answer(method, path, resp);
        });
  }

  /**
   * Reads every page of a list endpoint ({@code limit}/{@code cursor}/{@code next_cursor}),
   * handing each item of {@code field} to {@code each}, at most {@code max} in all (0: no cap).
   *
   * @return whether more items were left (the cap was reached before the last page)
   */
  public boolean pages(String path, String field, int max, Consumer<JsonNode> each) {
    String cursor = null;
    int seen = 0;
    do {
      int want = max == 0 ? 1000 : Math.min(1000, max - seen);
      String sep = path.contains("?") ? "&" : "?";
      JsonNode page = get(path + sep + "limit=" + want + (cursor == null ? "" : "&cursor=" + encode(cursor)));
      for (JsonNode item : page.path(field)) {
        each.accept(item);
        seen++;
      }
      cursor = page.path("next_cursor").isTextual() ? page.path("next_cursor").asText() : null;
    } while (cursor != null && (max == 0 || seen < max));
    return cursor != null;
  }

  /** Every item of a list endpoint. */
  public List<JsonNode> all(String path, String field) {
    List<JsonNode> out = new ArrayList<>();
    pages(path, field, 0, out::add);
    return out;
  }

  /** A path segment or query value, percent-encoded. */
  public static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private URI uri(String path) {
    String b = base.toString();
    return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + path);
  }

  private static JsonNode answer(String method, String path, HttpResponse<byte[]> resp) {
    int status = resp.statusCode();
    byte[] body = resp.body();
    JsonNode json = null;
    if (body.length > 0) {
      try {
        json = JSON.readTree(body);
      } catch (IOException notJson) {
        json = null;
      }
    }
    if (status >= 200 && status < 300) {
      if (body.length > 0 && json == null) {
        throw new CtlFailure(CtlFailure.REFUSED, method + " " + path + ": the answer is not JSON (HTTP " + status
            + "); is the URL that of an Aegis gateway?");
      }
      return json;
    }
    JsonNode error = json == null ? null : json.path("error");
    if (error != null && error.path("code").isTextual()) {
      throw new CtlFailure.Refused(status, error.path("code").asText(), error.path("message").asText(""));
    }
    throw new CtlFailure.Refused(status, "http_" + status, method + " " + path
        + " was answered without an Aegis error body; is the URL that of an Aegis gateway?");
  }

  /** Says in words why no answer came. */
  private CtlFailure unreachable(Throwable err) {
    Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    String where = "the gateway at " + base;
    String why;
    if (hasCause(e, SSLHandshakeException.class) || hasCause(e, CertificateException.class)) {
      String detail = rootMessage(e);
      why = "TLS: " + where + " is not trusted (" + detail + ")"
          + (customTrust ? "; is --ca-cert the CA that issued its certificate?"
              : "; if its certificate comes from a private CA or is self-signed, give that CA with --ca-cert FILE");
    } else if (e instanceof HttpConnectTimeoutException) {
      why = "cannot reach " + where + ": no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
    } else if (e instanceof HttpTimeoutException) {
      why = "no answer from " + where + " in time";
    } else if (hasCause(e, ConnectException.class)) {
      why = "cannot reach " + where + ": connection refused (is it running, and is the URL right?)";
    } else if (hasCause(e, UnresolvedAddressException.class) || hasCause(e, UnknownHostException.class)) {
      why = "cannot reach " + where + ": unknown host " + base.getHost();
    } else if (e instanceof IOException && "https".equals(base.getScheme()) && rootMessage(e).contains("plaintext")) {
      why = "cannot reach " + where + ": it does not speak TLS; use http://";
    } else {
      why = "cannot reach " + where + ": " + rootMessage(e);
    }
    return new CtlFailure(CtlFailure.UNREACHABLE, why);
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  private static byte[] write(JsonNode body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new JSON object, for request bodies. */
  public static ObjectNode object() {
    return JSON.createObjectNode();
  }
}
