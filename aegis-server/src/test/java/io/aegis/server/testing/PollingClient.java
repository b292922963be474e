package io.aegis.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
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
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An agent of the HTTP transport built from the protocol classes only, as the agent SDK's
 * fallback is: {@code POST /api/v1/auth} with an ephemeral key, then polls and posts sealed with
 * {@link HttpSession}. Its parts stay reachable so that tests can break the protocol on purpose.
 */
public final class PollingClient implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String agentId;
  private final IdentityKeyPair key;
  private final String token;
  private final ApiClient api;
  private final HttpSession session;
  private final IdentityPublicKey signedBy;

  private PollingClient(String agentId, IdentityKeyPair key, String token, ApiClient api, HttpSession session,
                        IdentityPublicKey signedBy) {
    this.agentId = agentId;
    this.key = key;
    this.token = token;
    this.api = api;
    this.session = session;
    this.signedBy = signedBy;
  }

  /** The same session (token and keys) against {@code gw}: another node, or this one restarted. */
  public PollingClient at(TestGateway gw) {
    return new PollingClient(agentId, key, token, gw.withToken(token), session, signedBy);
  }

  /** Authenticates an agent of {@code gw} with an ephemeral key and derives the session; asserts every step. */
  public static PollingClient connect(TestGateway gw, String agentId, IdentityKeyPair key) {
    return connect(new TestAgent(gw, agentId, key));
  }

  /** Authenticates {@code agent} (registered) with an ephemeral key and derives the session; asserts every step. */
  public static PollingClient connect(TestAgent agent) {
    return connect(agent, PinnedBackendKeys.of(agent.backendKey()), null);
  }

  /**
   * As {@link #connect(TestAgent)}, pinning {@code pins} and asking for the backend key
   * {@code backendKeyId} ({@code backend_key_id}; none if null).
   */
  public static PollingClient connect(TestAgent agent, PinnedBackendKeys pins, byte[] backendKeyId) {
    HttpSessionKeys.Offer offer = HttpSessionKeys.offer(agent.key(), agent.agentId(), System.currentTimeMillis(),
        AgentIdentity.nonce(), backendKeyId, RANDOM);
    var r = agent.api(null).post("/api/v1/auth", authBody(offer.request()));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    var j = r.json();
    HttpSessionKeys.Response response = new HttpSessionKeys.Response(
        StrictBase64.decode(j.path("backend_key").asText()), StrictBase64.decode(j.path("server_nonce").asText()),
        Hex.decode(j.path("backend_key_id").asText()), StrictBase64.decode(j.path("backend_signature").asText()),
        Hex.decode(j.path("session_id").asText()));
    try {
      HttpSession session = offer.complete(pins, response, Clock.systemUTC(), Protocol.DEFAULT_MAX_FRAME_BYTES);
      String token = j.path("session_token").asText();
      return new PollingClient(agent.agentId(), agent.key(), token, agent.api(token), session,
          pins.find(response.backendKeyId()));
    } catch (HandshakeException e) {
      throw new AssertionError("the gateway's HTTP session does not check out: " + e.getMessage(), e);
    }
  }

  /**
   * A client for a session issued some other way (say, written to the store as another node
   * would): its token and its keys.
   */
  public static PollingClient of(TestAgent agent, String token, HttpSession session) {
    return new PollingClient(agent.agentId(), agent.key(), token, agent.api(token), session, null);
  }

  /** The JSON body of {@code POST /api/v1/auth} for an offer (with {@code backend_key_id} if it names one). */
  public static Map<String, Object> authBody(HttpSessionKeys.Request request) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("agent_id", request.agentId());
    body.put("timestamp", request.timestamp());
    body.put("nonce", request.nonce());
    body.put("signature", StrictBase64.encode(request.signature()));
    body.put("ephemeral_key", StrictBase64.encode(request.ephemeralKey()));
    if (request.backendKeyId() != null) {
      body.put("backend_key_id", Hex.encode(request.backendKeyId()));
    }
    return body;
  }

  /** The session token. */
  public String token() {
    return token;
  }

  /** The backend key that signed the session. */
  public IdentityPublicKey signedBy() {
    return signedBy;
  }

  public String agentId() {
    return agentId;
  }

  public HttpSession session() {
    return session;
  }

  /** A client with this session's token. */
  public ApiClient api() {
    return api;
  }

  public String messagesPath() {
    return "/api/v1/agents/" + agentId + "/messages";
  }

  /** A poll request for {@code poll}: the path with {@code wait} and {@code max}, and the nonce header. */
  public String pollPath(Duration wait, int max) {
    return messagesPath() + "/poll?wait=" + wait.toMillis() + "ms&max=" + max;
  }

  public Map<String, String> pollHeaders(AgentPoll poll) {
    return Map.of(HttpExchange.CLIENT_NONCE_HEADER, poll.clientNonceHeader());
  }

  /** Polls without looking at the answer. */
  public ApiClient.Response pollRaw(Duration wait) {
    return api.get(pollPath(wait, 100), pollHeaders(session.newPoll(RANDOM)));
  }

  /** Starts a poll; the future completes with the answer (any status) and the poll to open it with. */
  public java.util.concurrent.CompletableFuture<Answered> pollAsync(Duration wait) {
    AgentPoll poll = session.newPoll(RANDOM);
    return api.sendAsync("GET", pollPath(wait, 100), null, pollHeaders(poll)).thenApply(r -> new Answered(poll, r));
  }

  /** A poll's answer and the poll that opens it. */
  public record Answered(AgentPoll poll, ApiClient.Response response) {
    /** Asserts 200 and opens the answer. */
    public List<OpenedRecord> records() {
      assertThat(response.status()).as(response.toString()).isEqualTo(200);
      return open(poll, response);
    }
  }

  /** Polls; asserts 200 and opens the answer. */
  public List<OpenedRecord> poll(Duration wait) {
    AgentPoll poll = session.newPoll(RANDOM);
    var r = api.get(pollPath(wait, 100), pollHeaders(poll));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return open(poll, r);
  }

  /** Opens a poll's answer. */
  public static List<OpenedRecord> open(AgentPoll poll, ApiClient.Response r) {
    try {
      return poll.openAnswer(r.body());
    } catch (RecordException e) {
      throw new AssertionError("the poll's answer does not open: " + e.getMessage(), e);
    }
  }

  /** A new post of this session. */
  public AgentPost newPost() {
    return session.newPost(RANDOM);
  }

  /** Sends a post as is. */
  public ApiClient.Response send(AgentPost post) {
    return api.post(messagesPath(), post.body());
  }

  /** Sends a post; asserts 200 and opens the answer (the gateway's acks, responses and errors). */
  public List<OpenedRecord> post(AgentPost post) {
    var r = send(post);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    try {
      return post.openAnswer(r.body());
    } catch (RecordException e) {
      throw new AssertionError("the post's answer does not open: " + e.getMessage(), e);
    }
  }

  /** Acknowledges messages with a sealed {@code ack} record. */
  public List<OpenedRecord> ack(String... ids) {
    AgentPost post = newPost();
    seal(post, () -> post.seal("ack-" + java.util.UUID.randomUUID(), "ack", "control", Map.of(),
        ("{\"ids\":" + toJson(ids) + "}").getBytes(StandardCharsets.UTF_8)));
    return post(post);
  }

  /** Sends one agent message signed with the agent's key; returns the gateway's answer records. */
  public List<OpenedRecord> sendSigned(String id, String type, String channel, Map<String, String> headers, String body) {
    AgentPost post = newPost();
    seal(post, () -> post.seal(CommandSigner.agent(key).agentMessage(id, type, channel,
        body.getBytes(StandardCharsets.UTF_8)), headers));
    return post(post);
  }

  /** Sealing that cannot fail in a test unless the library is broken. */
  public interface Sealing {
    void run() throws RecordException;
  }

  public static void seal(AgentPost post, Sealing sealing) {
    try {
      sealing.run();
    } catch (RecordException e) {
      throw new AssertionError(e);
    }
  }

  private static String toJson(String[] ids) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < ids.length; i++) {
      b.append(i == 0 ? "" : ",").append('"').append(ids[i]).append('"');
    }
    return b.append(']').toString();
  }

  @Override
  public void close() {
    session.close();
  }
}
