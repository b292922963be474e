package io.aegis.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.http.AgentPoll;
import io.aegis.protocol.http.AgentPost;
import io.aegis.protocol.http.HttpExchange;
import io.aegis.protocol.http.HttpSession;
import io.aegis.protocol.http.HttpSessionKeys;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP-polling transport (PROTOCOL.md §17, API.md "HTTP polling"): the same sealed, signed
 * records as a WebSocket session, in the bodies of ordinary requests.
 *
 * <ul>
 * <li><b>Session.</b> {@code POST /api/v1/auth} with an {@code ephemeral_key} and the
 *     {@code backend_key_id} of the first pin (as {@code client_hello} names it), signed with the
 *     session-request context ({@link HttpSessionKeys#offer}); the answer's signature must verify
 *     under a pinned backend key and its {@code session_id} must match the derived one
 *     ({@link HttpSessionKeys.Offer#complete}); a session signed by the second pin swaps the pins
 *     as a handshake does ({@link Events#established}). The session is renewed at 90% of its
 *     lifetime (at most 10 minutes before {@code expires_at}, measured against the gateway's
 *     {@code Date}), and at once when the gateway refuses its token. Each new session replaces
 *     the previous one at the gateway, whose requests still in flight then get 409
 *     {@code replaced}: ignored, since they belong to a session this client already left.</li>
 * <li><b>Polls.</b> One long poll at a time, {@code GET …/messages/poll?wait=…&max=100} with a
 *     fresh {@code X-Aegis-Client-Nonce}; every record of the answer goes to {@link Events#record}
 *     in order, exactly like a record of a WebSocket session. The next poll follows at once, unless
 *     handlers are behind ({@link Events#backlogged()}), or the answer was empty and came before
 *     half the wait (a node stopping, or a gateway that lets a second poll end the first): then
 *     after a backoff, so that polls never spin.</li>
 * <li><b>Posts.</b> One post at a time ({@code POST …/messages}), a fresh nonce each, carrying the
 *     pending acknowledgements first, then the agent's messages; the records of its answer (acks,
 *     responses, errors) go to {@link Events#record}. A post that does not get through is never
 *     sent again as is: its messages are written again in a new post ({@link Events#requeue}).</li>
 * </ul>
 *
 * <p><b>Failures.</b>
 * <table>
 * <caption>What each answer leads to</caption>
 * <tr><th>answer</th><th>poll</th><th>post</th><th>auth</th></tr>
 * <tr><td>network error, timeout, 5xx, other</td><td>normal backoff</td><td>requeue, normal backoff</td>
 *     <td>normal backoff</td></tr>
 * <tr><td>429</td><td>long backoff</td><td>requeue, long backoff</td><td>long backoff</td></tr>
 * <tr><td>401 {@code token_revoked}</td><td colspan="2"><b>revoked</b> at once ({@link Events#revoked})</td>
 *     <td>-</td></tr>
 * <tr><td>409 {@code replaced} (a newer HTTP session of the agent)</td><td colspan="2"><b>replaced</b>
 *     ({@link Events#replaced}), unless this client authenticated since (or may have: an
 *     authentication without a clear answer), when it is its own renewal: then a new session</td>
 *     <td>-</td></tr>
 * <tr><td>401, 403 (token refused)</td><td colspan="2">re-authenticate at once (posts requeued)</td>
 *     <td>after a refused token: <b>revoked</b> ({@link Events#revoked}); otherwise long backoff</td></tr>
 * <tr><td>409 {@code no_record_keys}, an answer that does not open</td><td colspan="2">new session
 *     (posts requeued)</td><td>-</td></tr>
 * <tr><td>400, 413</td><td>reported, long backoff</td><td>its messages fail with
 *     {@link MessageRefusedException}</td><td>reported, long backoff</td></tr>
 * <tr><td>a session that does not check out (unpinned backend key, bad signature)</td><td>-</td>
 *     <td>-</td><td>reported, long backoff</td></tr>
 * </table>
 *
 * <p><b>Threading.</b> Every method runs on the client's I/O thread, and the HTTP client's
 * completions hop onto it. An {@link HttpSession} is closed (its keys erased) once it is replaced
 * and no exchange of it is in flight.
 */
final class HttpPolling {

  private static final Logger log = LoggerFactory.getLogger(HttpPolling.class);

  /** Records per poll answer at most ({@code ?max=}; fewer if {@code maxPendingDeliveries} is lower). */
  static final int POLL_MAX = 100;
  /** Messages per post at most. */
  static final int POST_MAX_MESSAGES = 100;
  /** Estimated sealed size per post at most (the gateway's default body limit is 2 MiB). */
  static final long POST_BUDGET_BYTES = 512 * 1024;
  /** Time a request may take beyond its long-poll wait. */
  private static final Duration REQUEST_SLACK = Duration.ofSeconds(30);
  /** Error code (401) of a token whose agent was deactivated: the agent is revoked. */
  static final String TOKEN_REVOKED = "token_revoked";
  /** Error code (409) of a token whose HTTP session a newer one of the agent replaced. */
  static final String REPLACED = "replaced";
  private static final String NO_RECORD_KEYS = "no_record_keys";

  /** What the transport reports to its owner, on the I/O thread. */
  interface Events {
    /**
     * An HTTP session was authenticated (the first, or a renewal), signed by {@code backendKey},
     * one of the pins: a session signed by the second pin swaps them, as a handshake does.
     */
    void established(SessionInfo session, IdentityPublicKey backendKey);

    /** One record of a poll's or a post's answer, in order. */
    void record(OpenedRecord r);

    /** These messages of a post did not get through: write them again (those still unsettled). */
    void requeue(List<OutgoingMessage> messages);

    /** The gateway refused a post as a whole (400, 413): its messages would be refused again. */
    void refused(List<OutgoingMessage> messages, String code, String message);

    /** A message cannot be sealed (too large for a frame, an invalid header). */
    void unsendable(OutgoingMessage m, RuntimeException e);

    /** A post may be sent now. */
    void writable();

    /**
     * The agent was revoked: the gateway answered a token with 401 {@code token_revoked}, or
     * refused a session token it had issued and then a fresh authentication.
     */
    void revoked();

    /** A newer HTTP session of the agent, not this client's, replaced this one (409 {@code replaced}). */
    void replaced();

    /** CONNECTING (authenticating, no session), CONNECTED (working) or WAITING (backing off). */
    void state(AgentClient.State state);

    /** Something worth {@link Listener#error}. */
    void error(Throwable e);

    /** True while handlers are behind: no new poll until {@link #poll()} is called again. */
    boolean backlogged();
  }

  /** One HTTP session: its token and keys, and the exchanges in flight that use them. */
  private static final class Session {
    final HttpSession keys;
    final String token;
    final SessionInfo info;
    int exchanges;
    boolean retired;

    Session(HttpSession keys, String token, SessionInfo info) {
      this.keys = keys;
      this.token = token;
      this.info = info;
    }

    void retain() {
      exchanges++;
    }

    void release() {
      exchanges--;
      closeIfIdle();
    }

    void retire() {
      retired = true;
      closeIfIdle();
    }

    private void closeIfIdle() {
      if (retired && exchanges <= 0) {
        keys.close();
      }
    }
  }

  /** A normal and a long backoff for one activity. */
  private static final class Retry {
    final Backoff normal;
    final Backoff longer;

    Retry(AgentConfig c, RandomGenerator.SplittableGenerator random) {
      this.normal = new Backoff(c.backoffBase(), c.backoffCap(), random.split());
      this.longer = new Backoff(c.longBackoffBase(), c.longBackoffCap(), random.split());
    }

    Duration next(boolean isLong) {
      return isLong ? longer.next() : normal.next();
    }

    void reset() {
      normal.reset();
      longer.reset();
    }
  }

  private final AgentConfig config;
  private final HttpClient http;
  private final ScheduledExecutorService io;
  private final Supplier<PinnedBackendKeys> pins;
  private final Events events;
  private final SecureRandom random = new SecureRandom();
  private final Retry authRetry;
  private final Retry pollRetry;
  private final Retry postRetry;
  private final URI authUri;
  private final URI pollUri;
  private final URI postUri;
  private final long maxAnswerBytes;
  private final ArrayDeque<byte[]> acks = new ArrayDeque<>();
  private boolean active;
  private Session session;
  private boolean authenticating;
  /**
   * True from sending an authentication until its answer shows whether the gateway issued a
   * session: while true (and once an answer is lost), a 409 {@code replaced} may be this client's
   * own doing.
   */
  private boolean authUncertain;
  private boolean tokenRefused;
  private CompletableFuture<?> pollRequest;
  private boolean posting;
  private ScheduledFuture<?> authTimer;
  private ScheduledFuture<?> refreshTimer;
  private ScheduledFuture<?> pollTimer;
  private ScheduledFuture<?> postTimer;

  HttpPolling(AgentConfig config, HttpClient http, ScheduledExecutorService io, Supplier<PinnedBackendKeys> pins,
              Events events, RandomGenerator.SplittableGenerator random) {
    this.config = config;
    this.http = http;
    this.io = io;
    this.pins = pins;
    this.events = events;
    this.authRetry = new Retry(config, random);
    this.pollRetry = new Retry(config, random);
    this.postRetry = new Retry(config, random);
    String base = config.httpBase().toString();
    String agent = "/api/v1/agents/" + config.agentId() + "/messages";
    this.authUri = URI.create(base + "/api/v1/auth");
    // Never more records in one answer than handlers may have pending (backpressure, as the
    // WebSocket's one frame at a time).
    int max = Math.min(POLL_MAX, config.maxPendingDeliveries());
    this.pollUri = URI.create(base + agent + "/poll?wait=" + config.pollWait().toMillis() + "ms&max=" + max);
    this.postUri = URI.create(base + agent);
    // An answer carries at most POLL_MAX records, each within the frame limit; the gateway keeps
    // its answers within its body limit. Anything beyond this is not a gateway's answer.
    this.maxAnswerBytes = Math.max(16L << 20, 4L * config.maxFrameBytes());
  }

  // ------------------------------------------------------------------ lifecycle

  /** Authenticates, then polls and posts until {@link #retire()}. */
  void start() {
    active = true;
    events.state(AgentClient.State.CONNECTING);
    authenticate();
  }

  /**
   * Stops: no new request is made, a waiting poll is abandoned (an answer that still arrives is
   * processed), a post in flight finishes (its answer is processed, or its messages requeued).
   *
   * @return the acknowledgements not yet posted, for the transport that takes over
   */
  List<byte[]> retire() {
    active = false;
    cancel(authTimer);
    cancel(refreshTimer);
    cancel(pollTimer);
    cancel(postTimer);
    authTimer = refreshTimer = pollTimer = postTimer = null;
    if (pollRequest != null) {
      pollRequest.cancel(true);
    }
    if (session != null) {
      session.retire();
      session = null;
    }
    List<byte[]> left = new ArrayList<>(acks);
    acks.clear();
    return left;
  }

  /** True while a session is authenticated and its token was not refused. */
  boolean ready() {
    return active && session != null && !tokenRefused;
  }

  /** True while a post is in flight. */
  boolean posting() {
    return posting;
  }

  /** True if a post may be sent now. */
  boolean canPost() {
    return ready() && !posting && postTimer == null;
  }

  /** Queues an {@code ack} record body for the next post. */
  void queueAck(byte[] body) {
    acks.addLast(body);
  }

  boolean hasAcks() {
    return !acks.isEmpty();
  }

  // ------------------------------------------------------------------ authentication

  private void authenticate() {
    if (!active || authenticating) {
      return;
    }
    cancel(authTimer);
    authTimer = null;
    cancel(refreshTimer);
    refreshTimer = null;
    authenticating = true;
    if (session == null || tokenRefused) {
      events.state(AgentClient.State.CONNECTING);
    }
    // Ask for the first pin, as client_hello does (PROTOCOL.md §17.1, §10.3).
    byte[] askFor = pins.get().current().keyId();
    HttpSessionKeys.Offer offer = HttpSessionKeys.offer(config.identity(), config.agentId(), config.clock().millis(),
        authNonce(), askFor, random);
    HttpSessionKeys.Request q = offer.request();
    ObjectNode body = Json.object();
    body.put("agent_id", q.agentId());
    body.put("timestamp", q.timestamp());
    body.put("nonce", q.nonce());
    body.put("signature", StrictBase64.encode(q.signature()));
    body.put("ephemeral_key", StrictBase64.encode(q.ephemeralKey()));
    body.put("backend_key_id", Hex.encode(askFor));
    authUncertain = true;
    HttpRequest request = request(authUri, REQUEST_SLACK)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)))
        .build();
    send(request, (r, err) -> authenticated(offer, r, err));
  }

  private String authNonce() {
    byte[] b = new byte[24];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private void authenticated(HttpSessionKeys.Offer offer, HttpResponse<byte[]> r, Throwable err) {
    authenticating = false;
    if (!active) {
      offer.close();
      return;
    }
    if (err != null) {
      offer.close();
      log.warn("agent {}: HTTP authentication failed: {}", config.agentId(), describe(err));
      retryAuth(false);
      return;
    }
    int status = r.statusCode();
    // A 200 issued a session, even one that does not check out; any other status issued none.
    authUncertain = status == 200;
    if (status == 200) {
      try {
        install(offer, r);
      } catch (HandshakeException | IllegalArgumentException | IOException e) {
        log.warn("agent {}: the gateway's HTTP session does not check out: {}", config.agentId(), e.getMessage());
        events.error(new AgentException("the gateway's HTTP session does not check out: " + e.getMessage(), e));
        retryAuth(true);
      }
      return;
    }
    offer.close();
    if ((status == 401 || status == 403) && tokenRefused) {
      log.warn("agent {}: the gateway refused the session token and then authentication (HTTP {}): revoked",
          config.agentId(), status);
      events.revoked();
      return;
    }
    String why = "HTTP " + status + errorText(r.body());
    log.warn("agent {}: HTTP authentication refused: {}", config.agentId(), why);
    if (status == 400 || status == 401 || status == 403) {
      events.error(new AgentException("HTTP authentication refused: " + why));
    }
    retryAuth(status == 400 || status == 401 || status == 403 || status == 429);
  }

  private void install(HttpSessionKeys.Offer offer, HttpResponse<byte[]> r)
      throws HandshakeException, IOException {
    JsonNode j = Json.MAPPER.readTree(r.body());
    String token = j.path("session_token").asText("");
    long expiresAt = j.path("expires_at").asLong(0);
    if (token.isEmpty() || expiresAt <= 0 || !j.path("success").asBoolean(false)) {
      offer.close();
      throw new IOException("the answer lacks success, session_token or expires_at");
    }
    HttpSessionKeys.Response response;
    try {
      response = new HttpSessionKeys.Response(StrictBase64.decode(text(j, "backend_key")),
          StrictBase64.decode(text(j, "server_nonce")), Hex.decode(text(j, "backend_key_id")),
          StrictBase64.decode(text(j, "backend_signature")), Hex.decode(text(j, "session_id")));
    } catch (IllegalArgumentException e) {
      offer.close();
      throw e;
    }
    PinnedBackendKeys pinned = pins.get();
    HttpSession keys = offer.complete(pinned, response, config.clock(), config.maxFrameBytes());
    IdentityPublicKey signer = pinned.find(response.backendKeyId());
    SessionInfo info = new SessionInfo(keys.sessionIdHex(), Instant.ofEpochSecond(expiresAt), signer.keyIdHex(),
        Transport.HTTP_POLLING);
    Session old = session;
    session = new Session(keys, token, info);
    tokenRefused = false;
    authUncertain = false;
    authRetry.reset();
    if (old != null) {
      old.retire();
    }
    log.info("agent {}: HTTP session {} established with {} (backend key {}, expires {})", config.agentId(),
        info.sessionId(), config.httpBase(), info.backendKeyId(), info.expiresAt());
    scheduleRefresh(expiresAt, r);
    events.state(pollTimer == null ? AgentClient.State.CONNECTED : AgentClient.State.WAITING);
    events.established(info, signer);
    poll();
    events.writable();
  }

  private static String text(JsonNode j, String field) {
    JsonNode n = j.get(field);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException("the answer lacks " + field);
    }
    return n.asText();
  }

  /**
   * Renews the session at 90% of its lifetime, at most 10 minutes before it ends, and not sooner
   * than 2 s from now. The lifetime is measured from the answer's {@code Date} (the gateway's
   * clock, as {@code expires_at} is), so a skewed agent clock does not matter.
   */
  private void scheduleRefresh(long expiresAtSeconds, HttpResponse<?> r) {
    long now = r.headers().firstValue("Date").map(HttpPolling::httpDate).orElse(config.clock().millis());
    long lifetime = expiresAtSeconds * 1000 - now;
    long margin = Math.min(lifetime / 10, Duration.ofMinutes(10).toMillis());
    long delay = Math.max(2000, lifetime - margin);
    refreshTimer = io.schedule(() -> {
      refreshTimer = null;
      log.debug("agent {}: renewing the HTTP session", config.agentId());
      authenticate();
    }, delay, TimeUnit.MILLISECONDS);
  }

  private static Long httpDate(String value) {
    try {
      return ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void retryAuth(boolean isLong) {
    if (!active) {
      return;
    }
    if (session == null || tokenRefused) {
      events.state(AgentClient.State.WAITING);
    }
    Duration d = authRetry.next(isLong);
    log.info("agent {}: authenticating again in {} ms", config.agentId(), d.toMillis());
    authTimer = io.schedule(() -> {
      authTimer = null;
      authenticate();
    }, d.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The gateway refused the token of {@code s}: if it is the current session, authenticate anew. */
  private void tokenRefused(Session s, int status) {
    if (s != session || !active) {
      return;
    }
    log.info("agent {}: the gateway refused the session token (HTTP {}); authenticating again", config.agentId(),
        status);
    tokenRefused = true;
    authenticate();
  }

  /**
   * A request of {@code s} was answered 409 {@code replaced}: a newer HTTP session of the agent
   * exists. If this client may have made it (an authentication in flight, or one whose answer was
   * lost), or {@code s} is already a retired session, it is this client's own: carry on with (or
   * get) a new session. Otherwise another instance of the agent took over: stop.
   */
  private void replaced(Session s) {
    if (s != session || !active) {
      return;
    }
    if (authenticating || authUncertain) {
      log.info("agent {}: HTTP session {} was replaced, by this client's own authentication; continuing with the "
          + "new session", config.agentId(), s.info.sessionId());
      tokenRefused = true;
      if (authTimer == null) {
        authenticate();
      }
      return;
    }
    log.warn("agent {}: HTTP session {} was replaced by a newer session of this agent (another instance); stopping",
        config.agentId(), s.info.sessionId());
    events.replaced();
  }

  /** 401 {@code token_revoked}: the agent was deactivated; whichever session asked, stop. */
  private void revokedToken(Session s) {
    if (!active) {
      return;
    }
    log.warn("agent {}: the gateway answered HTTP session {} with token_revoked: revoked", config.agentId(),
        s.info.sessionId());
    events.revoked();
  }

  /** The keys of {@code s} do not work (no record keys, an answer that does not open): a new session. */
  private void sessionBroken(Session s, String why) {
    if (s != session || !active) {
      return;
    }
    log.warn("agent {}: HTTP session {} unusable ({}); authenticating again", config.agentId(), s.info.sessionId(), why);
    authenticate();
  }

  // ------------------------------------------------------------------ polls

  /** Starts the next long poll, unless one runs, a backoff waits, or handlers are behind. */
  void poll() {
    if (!ready() || pollRequest != null || pollTimer != null || events.backlogged()) {
      return;
    }
    Session s = session;
    AgentPoll p = s.keys.newPoll(random);
    HttpRequest request = request(pollUri, config.pollWait().plus(REQUEST_SLACK))
        .header("Authorization", "Bearer " + s.token)
        .header(HttpExchange.CLIENT_NONCE_HEADER, p.clientNonceHeader())
        .GET()
        .build();
    s.retain();
    long started = System.nanoTime();
    pollRequest = send(request, (r, err) -> polled(s, p, started, r, err));
  }

  private void polled(Session s, AgentPoll p, long started, HttpResponse<byte[]> r, Throwable err) {
    pollRequest = null;
    try {
      if (err != null) {
        if (active && !(unwrap(err) instanceof CancellationException)) {
          log.warn("agent {}: poll failed: {}", config.agentId(), describe(err));
          retryPoll(false);
        }
        return;
      }
      int status = r.statusCode();
      switch (status) {
        case 200 -> {
          List<OpenedRecord> records;
          try {
            records = p.openAnswer(new String(r.body(), StandardCharsets.UTF_8));
          } catch (RecordException e) {
            events.error(new AgentException("a poll's answer does not open: " + e.getMessage(), e));
            sessionBroken(s, "a poll's answer does not open: " + e.reason());
            return;
          }
          if (active) {
            events.state(AgentClient.State.CONNECTED);
          }
          if (!records.isEmpty()) {
            log.debug("agent {}: poll answered {} records", config.agentId(), records.size());
          }
          records.forEach(events::record);
          if (records.isEmpty() && System.nanoTime() - started < config.pollWait().toNanos() / 2) {
            // Ended early with nothing: the node is stopping, or a gateway that lets another
            // poll of this agent end it (two instances would then ping-pong at full speed). Back
            // off before the next one.
            if (active) {
              Duration d = pollRetry.next(false);
              log.info("agent {}: poll ended early without messages (the gateway stopping, or another poll "
                  + "ending it); polling again in {} ms", config.agentId(), d.toMillis());
              pollTimer = io.schedule(() -> {
                pollTimer = null;
                poll();
              }, d.toMillis(), TimeUnit.MILLISECONDS);
            }
            return;
          }
          if (active) {
            pollRetry.reset();
          }
          poll();
        }
        case 401, 403 -> {
          if (TOKEN_REVOKED.equals(error(r.body(), status)[0])) {
            revokedToken(s);
            return;
          }
          tokenRefused(s, status);
          poll(); // with the new session, if it is already there
        }
        case 409 -> {
          String code = error(r.body(), status)[0];
          if (REPLACED.equals(code)) {
            replaced(s);
            poll(); // with the new session, if it is already there
          } else {
            sessionBroken(s, "HTTP 409" + errorText(r.body()));
          }
        }
        default -> {
          if (!active) {
            return;
          }
          String why = "HTTP " + status + errorText(r.body());
          log.warn("agent {}: poll refused: {}", config.agentId(), why);
          if (status == 400) {
            // A request the gateway does not accept (a gateway older than this client, say).
            events.error(new AgentException("the gateway refused the poll: " + why));
          }
          retryPoll(status == 400 || status == 429);
        }
      }
    } finally {
      s.release();
    }
  }

  private void retryPoll(boolean isLong) {
    if (!active) {
      return;
    }
    events.state(AgentClient.State.WAITING);
    Duration d = pollRetry.next(isLong);
    pollTimer = io.schedule(() -> {
      pollTimer = null;
      poll();
    }, d.toMillis(), TimeUnit.MILLISECONDS);
  }

  // ------------------------------------------------------------------ posts

  /**
   * Seals the pending acknowledgements and {@code messages} (already marked in flight) into one
   * post and sends it. Only when {@link #canPost()}.
   */
  void post(List<OutgoingMessage> messages) {
    Session s = session;
    AgentPost post = s.keys.newPost(random);
    List<byte[]> ackBodies = new ArrayList<>();
    while (!acks.isEmpty() && post.size() < HttpExchange.MAX_RECORDS - messages.size()) {
      byte[] body = acks.pollFirst();
      try {
        post.seal(MessageIds.next(config.clock().millis()), MessageTypes.ACK, Protocol.CONTROL_CHANNEL, Map.of(), body);
        ackBodies.add(body);
      } catch (RecordException | RuntimeException e) {
        log.warn("agent {}: acknowledgement dropped (the gateway will redeliver): {}", config.agentId(),
            e.getMessage());
      }
    }
    List<OutgoingMessage> sealed = new ArrayList<>();
    for (OutgoingMessage m : messages) {
      try {
        if (m.signed != null) {
          post.seal(m.signed, m.headers);
        } else {
          post.seal(m.id, m.type, m.channel, m.headers, m.body);
        }
        sealed.add(m);
      } catch (RecordException e) {
        events.unsendable(m, new IllegalStateException(e.getMessage(), e));
      } catch (IllegalStateException | IllegalArgumentException e) {
        events.unsendable(m, e);
      }
    }
    if (post.size() == 0) {
      return;
    }
    HttpRequest request = request(postUri, REQUEST_SLACK)
        .header("Authorization", "Bearer " + s.token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(post.body(), StandardCharsets.UTF_8))
        .build();
    s.retain();
    posting = true;
    send(request, (r, err) -> posted(s, post, ackBodies, sealed, r, err));
  }

  private void posted(Session s, AgentPost post, List<byte[]> ackBodies, List<OutgoingMessage> sealed,
                      HttpResponse<byte[]> r, Throwable err) {
    posting = false;
    try {
      if (err != null) {
        log.warn("agent {}: post failed: {}", config.agentId(), describe(err));
        postFailed(ackBodies, sealed, false);
        return;
      }
      int status = r.statusCode();
      switch (status) {
        case 200 -> {
          List<OpenedRecord> records;
          try {
            records = post.openAnswer(new String(r.body(), StandardCharsets.UTF_8));
          } catch (RecordException e) {
            // Processed, but its answers cannot be read: write the messages again (same ids).
            events.error(new AgentException("a post's answer does not open: " + e.getMessage(), e));
            events.requeue(sealed);
            sessionBroken(s, "a post's answer does not open: " + e.reason());
            return;
          }
          postRetry.reset();
          records.forEach(events::record);
          events.writable();
        }
        case 401, 403 -> {
          keepAcks(ackBodies);
          events.requeue(sealed);
          if (TOKEN_REVOKED.equals(error(r.body(), status)[0])) {
            revokedToken(s);
          } else {
            tokenRefused(s, status);
          }
        }
        case 409 -> {
          // no_record_keys: a new session; replaced: a new session or a stop (replaced()); nothing
          // was processed either way. nonce_reused cannot happen with fresh nonces, but sealing
          // anew under a new nonce is the answer to it too.
          String code = error(r.body(), status)[0];
          keepAcks(ackBodies);
          events.requeue(sealed);
          if (REPLACED.equals(code)) {
            replaced(s);
          } else if (NO_RECORD_KEYS.equals(code)) {
            sessionBroken(s, "HTTP 409" + errorText(r.body()));
          } else {
            events.writable();
          }
        }
        case 400, 413 -> {
          String[] e = error(r.body(), status);
          log.warn("agent {}: the gateway refused a post of {} records: HTTP {} {} {}", config.agentId(),
              post.size(), status, e[0], e[1]);
          events.refused(sealed, e[0], e[1]);
          events.writable();
        }
        default -> {
          log.warn("agent {}: post refused: HTTP {}{}", config.agentId(), status, errorText(r.body()));
          postFailed(ackBodies, sealed, status == 429);
        }
      }
    } finally {
      s.release();
    }
  }

  private void postFailed(List<byte[]> ackBodies, List<OutgoingMessage> sealed, boolean isLong) {
    keepAcks(ackBodies);
    if (active) {
      // The timer first: requeueing flushes, and the next post must wait for it.
      Duration d = postRetry.next(isLong);
      postTimer = io.schedule(() -> {
        postTimer = null;
        events.writable();
      }, d.toMillis(), TimeUnit.MILLISECONDS);
    }
    events.requeue(sealed);
  }

  /** Acknowledgements of a post that did not get through go first into the next one. */
  private void keepAcks(List<byte[]> ackBodies) {
    if (!active) {
      return; // the gateway redelivers; the client acknowledges the duplicates
    }
    for (int i = ackBodies.size() - 1; i >= 0; i--) {
      acks.addFirst(ackBodies.get(i));
    }
  }

  // ------------------------------------------------------------------ HTTP

  private HttpRequest.Builder request(URI uri, Duration timeout) {
    return HttpRequest.newBuilder(uri)
        .timeout(timeout.plus(config.connectTimeout()))
        .header("User-Agent", AgentConfig.userAgent())
        .header("Accept", "application/json");
  }

  /** Sends; {@code then} runs on the I/O thread (dropped once the client has shut down). */
  private CompletableFuture<HttpResponse<byte[]>> send(HttpRequest request,
                                                       BiConsumer<HttpResponse<byte[]>, Throwable> then) {
    CompletableFuture<HttpResponse<byte[]>> f;
    try {
      f = http.sendAsync(request, info -> new BoundedBody(maxAnswerBytes));
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((r, err) -> {
      try {
        io.execute(() -> then.accept(r, err));
      } catch (RejectedExecutionException e) {
        log.debug("agent {}: client shut down; HTTP answer dropped", config.agentId());
      }
    });
    return f;
  }

  /** {@code [code, message]} of the REST API's error body, or {@code ["http_<status>", ""]}. */
  private static String[] error(byte[] body, int status) {
    try {
      JsonNode e = Json.MAPPER.readTree(body).path("error");
      if (e.isObject()) {
        return new String[] {e.path("code").asText("http_" + status), e.path("message").asText("")};
      }
    } catch (IOException | RuntimeException ignored) {
      // not the REST API's error body
    }
    return new String[] {"http_" + status, ""};
  }

  private static String errorText(byte[] body) {
    String[] e = error(body, 0);
    return e[0].equals("http_0") ? "" : " " + e[0] + (e[1].isEmpty() ? "" : ": " + e[1]);
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  private static String describe(Throwable e) {
    Throwable t = unwrap(e);
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private static void cancel(ScheduledFuture<?> f) {
    if (f != null) {
      f.cancel(false);
    }
  }

  /** A response body of at most {@code max} bytes; a longer one fails the request. */
  private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final long max;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    BoundedBody(long max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        if (out.size() + (long) b.remaining() > max) {
          subscription.cancel();
          result.completeExceptionally(new IOException("answer larger than " + max + " bytes"));
          return;
        }
        byte[] a = new byte[b.remaining()];
        b.get(a);
        out.writeBytes(a);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(out.toByteArray());
    }
  }
}
