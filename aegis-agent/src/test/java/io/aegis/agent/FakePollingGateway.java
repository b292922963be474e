package io.aegis.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.aegis.protocol.HttpAuth;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.http.GatewayAnswer;
import io.aegis.protocol.http.HttpSession;
import io.aegis.protocol.http.HttpSessionKeys;
import io.aegis.protocol.http.ReceivedPost;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.OpenedRecord;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scriptable stand-in for the gateway's HTTP-polling endpoints (PROTOCOL.md §17), built on the
 * JDK's HTTP server and the protocol library's gateway side ({@link HttpSessionKeys#issue},
 * {@link HttpSession#openPost}, {@link HttpSession#newAnswer}), for the failure paths the real
 * gateway does not produce on demand: scripted statuses for authentications, polls and posts,
 * polls that end at once, a backend key the agent does not pin. It serves no WebSocket (an
 * upgrade gets 404), so a client with {@code fallbackAfter(1)} goes to polling at once.
 */
final class FakePollingGateway implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern WAIT = Pattern.compile("wait=(\\d+)ms");

  private final SecureRandom random = new SecureRandom();
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final String agentId;
  private final IdentityPublicKey agentKey;
  final IdentityKeyPair backendKey = IdentityKeyPair.generate(random);
  /** The key that signs HTTP sessions (the backend key unless a test changes it). */
  volatile IdentityKeyPair signingKey = backendKey;
  private final Map<String, HttpSession> sessions = new ConcurrentHashMap<>();
  /** Statuses to answer the next authentications, polls and posts with (then: normal behaviour). */
  final BlockingQueue<Integer> authStatuses = new LinkedBlockingQueue<>();
  final BlockingQueue<Integer> pollStatuses = new LinkedBlockingQueue<>();
  final BlockingQueue<Integer> postStatuses = new LinkedBlockingQueue<>();
  /** The error body of scripted 4xx answers. */
  volatile String errorCode = "invalid_request";
  /** Polls answer at once, empty, as when another poll of the agent superseded them. */
  volatile boolean pollsEndAtOnce;
  /** Commands the next poll carries. */
  final BlockingQueue<String> commands = new LinkedBlockingQueue<>();
  final AtomicInteger auths = new AtomicInteger();
  final AtomicInteger polls = new AtomicInteger();
  final AtomicInteger posts = new AtomicInteger();
  /** Records of the posts processed, in order. */
  final BlockingQueue<OpenedRecord> received = new LinkedBlockingQueue<>();
  /** Nonces of every post that arrived (processed or not). */
  final Set<String> postNonces = ConcurrentHashMap.newKeySet();

  FakePollingGateway(String agentId, IdentityPublicKey agentKey) throws IOException {
    this.agentId = agentId;
    this.agentKey = agentKey;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String path = x.getRequestURI().getPath();
      String base = "/api/v1/agents/" + agentId + "/messages";
      if (path.equals("/api/v1/auth") && x.getRequestMethod().equals("POST")) {
        auth(x);
      } else if (path.equals(base + "/poll") && x.getRequestMethod().equals("GET")) {
        poll(x);
      } else if (path.equals(base) && x.getRequestMethod().equals("POST")) {
        post(x);
      } else {
        reply(x, 404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no route\"}}");
      }
    } catch (Exception e) {
      reply(x, 500, "{\"error\":{\"code\":\"internal_error\",\"message\":\"" + e.getClass().getSimpleName() + "\"}}");
    }
  }

  private void auth(HttpExchange x) throws Exception {
    auths.incrementAndGet();
    JsonNode j = JSON.readTree(x.getRequestBody().readAllBytes());
    Integer scripted = authStatuses.poll();
    if (scripted != null) {
      reply(x, scripted, error(scripted == 401 ? "authentication_failed" : errorCode));
      return;
    }
    HttpSessionKeys.Request q = new HttpSessionKeys.Request(j.path("agent_id").asText(), j.path("timestamp").asLong(),
        j.path("nonce").asText(), StrictBase64.decode(j.path("signature").asText()),
        StrictBase64.decode(j.path("ephemeral_key").asText()));
    if (!HttpAuth.verifySessionRequest(agentKey, q.agentId(), q.timestamp(), q.nonce(), q.ephemeralKey(),
        q.signature())) {
      reply(x, 401, error("authentication_failed"));
      return;
    }
    HttpSessionKeys.Issued issued = HttpSessionKeys.issue(signingKey, agentKey, q, random, Clock.systemUTC(),
        Protocol.DEFAULT_MAX_FRAME_BYTES);
    String token = "aegis_st_" + Hex.encode(issued.response().sessionId());
    sessions.put(token, issued.session());
    HttpSessionKeys.Response r = issued.response();
    ObjectNode o = JSON.createObjectNode();
    o.put("success", true).put("agent_id", agentId).put("backend_key", StrictBase64.encode(r.backendEphemeral()))
        .put("session_token", token).put("expires_at", System.currentTimeMillis() / 1000 + 3600)
        .put("server_nonce", StrictBase64.encode(r.serverNonce())).put("backend_key_id", Hex.encode(r.backendKeyId()))
        .put("backend_signature", StrictBase64.encode(r.backendSignature()))
        .put("session_id", Hex.encode(r.sessionId()));
    reply(x, 200, o.toString());
  }

  private HttpSession session(HttpExchange x) {
    String h = x.getRequestHeaders().getFirst("Authorization");
    return h == null || !h.startsWith("Bearer ") ? null : sessions.get(h.substring(7));
  }

  /** Refuses every token issued so far (as a deactivation does). */
  void revokeTokens() {
    sessions.clear();
  }

  private void poll(HttpExchange x) throws Exception {
    polls.incrementAndGet();
    Integer scripted = pollStatuses.poll();
    if (scripted != null) {
      reply(x, scripted, error(errorCode));
      return;
    }
    HttpSession s = session(x);
    if (s == null) {
      reply(x, 401, error("unauthorized"));
      return;
    }
    byte[] clientNonce = StrictBase64.decode(x.getRequestHeaders().getFirst("X-Aegis-Client-Nonce"));
    Matcher m = WAIT.matcher(x.getRequestURI().getRawQuery());
    long wait = m.find() ? Long.parseLong(m.group(1)) : 0;
    long deadline = System.currentTimeMillis() + (pollsEndAtOnce ? 0 : wait);
    GatewayAnswer answer = s.newAnswer(clientNonce, random);
    CommandSigner signer = CommandSigner.backend(backendKey);
    do {
      String id;
      while ((id = commands.poll()) != null) {
        answer.seal(signer.toAgent(agentId, id, "event", "commands", 0, "{}".getBytes(StandardCharsets.UTF_8)),
            Map.of());
      }
      if (answer.size() > 0) {
        break;
      }
      Thread.sleep(10);
    } while (System.currentTimeMillis() < deadline);
    reply(x, 200, answer.body());
  }

  private void post(HttpExchange x) throws Exception {
    posts.incrementAndGet();
    byte[] body = x.getRequestBody().readAllBytes();
    postNonces.add(JSON.readTree(body).path("nonce").asText());
    Integer scripted = postStatuses.poll();
    if (scripted != null) {
      reply(x, scripted, error(errorCode));
      return;
    }
    HttpSession s = session(x);
    if (s == null) {
      reply(x, 401, error("unauthorized"));
      return;
    }
    ReceivedPost p = s.openPost(body);
    GatewayAnswer answer = s.newAnswer(p.nonce(), random);
    for (OpenedRecord r : p.records()) {
      received.add(r);
      switch (r.type()) {
        case "ack" -> {
          // nothing to answer
        }
        case "request" -> answer.seal("r-" + r.id(), "response", r.channel(), Map.of("in-reply-to", r.id()),
            "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
        default -> answer.seal("ack-" + r.id(), "ack", "control", Map.of(),
            ("{\"ids\":[\"" + r.id() + "\"]}").getBytes(StandardCharsets.UTF_8));
      }
    }
    reply(x, 200, answer.body());
  }

  /** The ids acknowledged in {@code ack} records posted so far. */
  List<String> ackedIds() {
    return received.stream().filter(r -> r.type().equals("ack"))
        .flatMap(r -> {
          try {
            List<String> ids = new java.util.ArrayList<>();
            JSON.readTree(r.body()).path("ids").forEach(n -> ids.add(n.asText()));
            return ids.stream();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }).toList();
  }

  private static String error(String code) {
    return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"scripted\"}}";
  }

  private static void reply(HttpExchange x, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      x.getResponseBody().write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
