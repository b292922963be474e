package io.aegis.bench.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * The gateway's REST API over a pool of HTTP/1.1 keep-alive connections (Vert.x
 * {@link HttpClientAgent}), with a bearer token. Requests are asynchronous; many may be in flight
 * (up to {@code connections} at once, the rest wait in the pool's queue). Thread-safe.
 *
 * <p>Every request is issued on one event loop, the one its connections live on. Vert.x 5.0
 * delivers a response's head on the connection's event loop but its body and end on the
 * request's context; a request issued from another thread (a new context on another event loop)
 * could then see the end before it asked for the body, and the end was dropped: the request
 * never completed (about one run in twenty of {@code BenchCommandTest}'s wrong-token check, a
 * 401 with a small body arriving in one read). Callers get their answer back on their own
 * context when they have one.
 */
public final class GatewayClient implements AutoCloseable {
  /** One HTTP answer. */
  public record Response(int status, Buffer body) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }

    public JsonNode json() {
      try {
        return MAPPER.readTree(body.getBytes());
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON (HTTP " + status + "): " + text(), e);
      }
    }

    public String text() {
      return body == null ? "" : body.toString();
    }
  }

  public static final ObjectMapper MAPPER = new ObjectMapper();
  /** Longest silence on a request before it fails. */
  static final long IDLE_TIMEOUT_MS = 60_000;

  private final HttpClientAgent http;
  private final Context loop;
  private final String token;
  private final URI base;

  /**
   * @param connections most connections to the gateway at once
   * @param token       bearer token (an operator token, or an agent session token), or null
   */
  public GatewayClient(Vertx vertx, URI base, String token, int connections) {
    this.base = base;
    this.token = token;
    this.loop = vertx.getOrCreateContext();
    boolean ssl = "https".equals(base.getScheme());
    int port = base.getPort() > 0 ? base.getPort() : ssl ? 443 : 80;
    this.http = vertx.createHttpClient(new HttpClientOptions()
            .setDefaultHost(base.getHost()).setDefaultPort(port).setSsl(ssl).setTrustAll(true).setVerifyHost(false)
            .setKeepAlive(true).setPipelining(false).setConnectTimeout(10_000),
        new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
  }

  public URI base() {
    return base;
  }

  public Future<Response> get(String path) {
    return request(HttpMethod.GET, path, null, token);
  }

  /** GET with another bearer token (an agent's session token). */
  public Future<Response> get(String path, String bearer) {
    return request(HttpMethod.GET, path, null, bearer);
  }

  public Future<Response> post(String path, Object json) {
    return request(HttpMethod.POST, path, json, token);
  }

  /** POST with extra request headers (an {@code Idempotency-Key}, say). */
  public Future<Response> post(String path, Object json, java.util.Map<String, String> headers) {
    return request(HttpMethod.POST, path, json, token, headers);
  }

  public Future<Response> delete(String path) {
    return request(HttpMethod.DELETE, path, null, token);
  }

  /** Sends a request; {@code json} is a String (sent as is), a {@link Buffer}, or an object Jackson writes. */
  public Future<Response> request(HttpMethod method, String path, Object json, String bearer) {
    return request(method, path, json, bearer, java.util.Map.of());
  }

  private Future<Response> request(HttpMethod method, String path, Object json, String bearer,
                                   java.util.Map<String, String> headers) {
    // A gateway that accepted the request and then went silent must fail the request, not hang
    // the run: the gateway answers every API call within its request deadline (10 s by default).
    RequestOptions o = new RequestOptions().setMethod(method).setURI(path).setIdleTimeout(IDLE_TIMEOUT_MS);
    headers.forEach(o::putHeader);
    if (bearer != null) {
      o.putHeader("Authorization", "Bearer " + bearer);
    }
    Buffer body = null;
    if (json != null) {
      o.putHeader("Content-Type", "application/json");
      body = json instanceof Buffer b ? b : json instanceof String s ? Buffer.buffer(s) : Buffer.buffer(write(json));
    }
    Buffer payload = body;
    Context caller = Vertx.currentContext();
    Promise<Response> answer = Promise.promise();
    loop.runOnContext(v -> http.request(o)
        .compose(req -> payload == null ? req.send() : req.send(payload))
        .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), b)))
        .onComplete(ar -> {
          if (caller == null || caller == loop) {
            answer.handle(ar);
          } else {
            caller.runOnContext(x -> answer.handle(ar));
          }
        }));
    return answer.future();
  }

  /**
   * Waits for {@code f} from a non-Vert.x thread; a timeout or failure becomes an unchecked
   * exception naming {@code what}.
   */
  public static <T> T await(Future<T> f, long seconds, String what) {
    try {
      return f.await(seconds, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(what + ": no answer within " + seconds + " s");
    } catch (RuntimeException e) {
      throw new IllegalStateException(what + ": " + e.getMessage(), e);
    }
  }

  private static byte[] write(Object o) {
    try {
      return MAPPER.writeValueAsBytes(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    http.close();
  }
}
