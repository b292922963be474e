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
 * polls that end at once, a backend key the agent does not pin, a next key to announce, slow
 * authentications that replace the previous session as the real gateway does. It serves no
 * WebSocket (an upgrade gets 404), so a client with {@code fallbackAfter(1)} goes to polling at
 * once.
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
  /** The key that signs HTTP sessions unless the agent asks for one held (the backend key unless a test changes it). */
  volatile IdentityKeyPair signingKey = backendKey;
  /** A next key the gateway also holds: it signs the sessions that ask for it, and polls announce it. */
  volatile IdentityKeyPair nextKey;
  /** The backend_key_id of the last authentication (null if it named none). */
  volatile String askedKeyId;
  /** Session lifetime in seconds (expires_at). */
  volatile long sessionSeconds = 3600;
  /** How long an authentication takes before its answer (after it replaced the earlier session). */
  volatile long authDelayMillis;
  /** Polls waiting now, by token: a new session ends the others' with 409 replaced. */
  private final Map<String, java.util.concurrent.CompletableFuture<Void>> waitingPolls = new ConcurrentHashMap<>();
  /** Tokens replaced by a newer session. */
  private final Set<String> replacedTokens = ConcurrentHashMap.newKeySet();
  /** Tokens whose polls have had the announcement of the next key. */
  private final Set<String> announcedTo = ConcurrentHashMap.newKeySet();
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
    String asked = j.hasNonNull("backend_key_id") ? j.path("backend_key_id").asText() : null;
    askedKeyId = asked;
    HttpSessionKeys.Request q = new HttpSessionKeys.Request(j.path("agent_id").asText(), j.path("timestamp").asLong(),
        j.path("nonce").asText(), StrictBase64.decode(j.path("signature").asText()),
        StrictBase64.decode(j.path("ephemeral_key").asText()), asked == null ? null : Hex.decode(asked));
    if (!HttpAuth.verifySessionRequest(agentKey, q.agentId(), q.timestamp(), q.nonce(), q.ephemeralKey(),
        q.backendKeyId(), q.signature())) {
      reply(x, 401, error("authentication_failed"));
      return;
    }
    IdentityKeyPair next = nextKey;
    IdentityKeyPair signer = next != null && next.publicKey().keyIdHex().equals(asked) ? next : signingKey;
    HttpSessionKeys.Issued issued = HttpSessionKeys.issue(signer, agentKey, q, random, Clock.systemUTC(),
        Protocol.DEFAULT_MAX_FRAME_BYTES);
    String token = "aegis_st_" + Hex.encode(issued.response().sessionId());
    // One HTTP session per agent, as the real gateway: the others are replaced, their waiting polls end.
    for (String old : sessions.keySet()) {
      replacedTokens.add(old);
      sessions.remove(old);
      java.util.concurrent.CompletableFuture<Void> waiting = waitingPolls.remove(old);
      if (waiting != null) {
        waiting.complete(null);
      }
    }
    sessions.put(token, issued.session());
    Thread.sleep(authDelayMillis);
    HttpSessionKeys.Response r = issued.response();
    ObjectNode o = JSON.createObjectNode();
    o.put("success", true).put("agent_id", agentId).put("backend_key", StrictBase64.encode(r.backendEphemeral()))
        .put("session_token", token).put("expires_at", System.currentTimeMillis() / 1000 + sessionSeconds)
        .put("server_nonce", StrictBase64.encode(r.serverNonce())).put("backend_key_id", Hex.encode(r.backendKeyId()))
        .put("backend_signature", StrictBase64.encode(r.backendSignature()))
        .put("session_id", Hex.encode(r.sessionId()));
    reply(x, 200, o.toString());
  }

  private static String token(HttpExchange x) {
    String h = x.getRequestHeaders().getFirst("Authorization");
    return h == null || !h.startsWith("Bearer ") ? "" : h.substring(7);
  }

  private HttpSession session(HttpExchange x) {
    return sessions.get(token(x));
  }

  /** Refuses every token issued so far (as an expiry does: 401 unauthorized). */
  void revokeTokens() {
    sessions.clear();
  }

  /**
   * Answers a token that is not live as the real gateway does: 409 replaced for one a newer
   * session replaced, else 401 with {@code code}. Returns whether it answered.
   */
  private boolean refused(HttpExchange x, HttpSession s) throws IOException {
    if (s != null) {
      return false;
    }
    if (replacedTokens.contains(token(x))) {
      reply(x, 409, error("replaced"));
    } else {
      reply(x, 401, error("unauthorized"));
    }
    return true;
  }

  private void poll(HttpExchange x) throws Exception {
    polls.incrementAndGet();
    Integer scripted = pollStatuses.poll();
    if (scripted != null) {
      reply(x, scripted, error(errorCode));
      return;
    }
    HttpSession s = session(x);
    if (refused(x, s)) {
      return;
    }
    String token = token(x);
    java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();
    waitingPolls.put(token, ended);
    byte[] clientNonce = StrictBase64.decode(x.getRequestHeaders().getFirst("X-Aegis-Client-Nonce"));
    Matcher m = WAIT.matcher(x.getRequestURI().getRawQuery());
    long wait = m.find() ? Long.parseLong(m.group(1)) : 0;
    long deadline = System.currentTimeMillis() + (pollsEndAtOnce ? 0 : wait);
    GatewayAnswer answer = s.newAnswer(clientNonce, random);
    CommandSigner signer = CommandSigner.backend(backendKey);
    IdentityKeyPair next = nextKey;
    if (next != null && announcedTo.add(token)) {
      answer.seal(signer.broadcast("backend_key:" + next.publicKey().keyIdHex() + ":" + System.currentTimeMillis(),
          "backend_key", "control", System.currentTimeMillis() + 86_400_000L, ("{\"key_id\":\""
              + next.publicKey().keyIdHex() + "\",\"public_key\":\"" + next.publicKey().base64() + "\"}")
              .getBytes(StandardCharsets.UTF_8)), Map.of());
    }
    int first = answer.size();
    do {
      if (ended.isDone()) {
        waitingPolls.remove(token, ended);
        reply(x, 409, error("replaced"));
        return;
      }
      String id;
      while ((id = commands.poll()) != null) {
        answer.seal(signer.toAgent(agentId, id, "event", "commands", 0, "{}".getBytes(StandardCharsets.UTF_8)),
            Map.of());
      }
      if (answer.size() > first) {
        break;
      }
      Thread.sleep(10);
    } while (System.currentTimeMillis() < deadline);
    waitingPolls.remove(token, ended);
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
    if (refused(x, s)) {
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
