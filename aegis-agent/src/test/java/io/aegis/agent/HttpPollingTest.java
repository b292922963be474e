package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.agent.testing.Recorder;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.server.testing.Waits;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP-polling transport's failure paths, against a {@link FakePollingGateway}: posts that do
 * not get through, posts refused, polls that end at once, refused tokens and authentications, a
 * session signed by an unpinned key. The normal paths run against the real gateway in
 * {@link HttpPollingEndToEndTest}.
 */
class HttpPollingTest {

  private static final String ID = "agent-1";

  private final IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
  private final Recorder events = new Recorder();
  private final BlockingQueue<AgentMessage> handled = new LinkedBlockingQueue<>();
  private FakePollingGateway gateway;
  private AgentClient client;

  @BeforeEach
  void startGateway() throws Exception {
    gateway = new FakePollingGateway(ID, key.publicKey());
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    gateway.close();
  }

  private AgentClientBuilder builder() {
    return AgentClient.builder()
        .backend(gateway.url())
        .agentId(ID)
        .identity(key)
        .backendKeys(gateway.backendKey.publicKey().base64())
        .listener(events)
        .defaultHandler(handled::add)
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
        .longBackoff(Duration.ofMillis(200), Duration.ofMillis(400))
        .closeTimeout(Duration.ofSeconds(1))
        .fallbackAfter(1)
        .pollWait(Duration.ofSeconds(1))
        .websocketProbeInterval(Duration.ofMinutes(10));
  }

  /** Starts the client; its one WebSocket attempt gets 404, then it polls. */
  private AgentClient polling(AgentClientBuilder b) throws InterruptedException {
    client = b.build().start();
    events.disconnected();
    assertThat(events.transportChanged()).isEqualTo(Transport.HTTP_POLLING);
    return client;
  }

  @Test
  void aPostThatDoesNotGetThroughIsSealedAgainUnderAFreshNonce() throws Exception {
    polling(builder());
    events.connected();
    gateway.postStatuses.add(503);
    CompletableFuture<Void> sent = client.sendEvent("login", Json.object());
    sent.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(gateway.posts.get()).isEqualTo(2);
    assertThat(gateway.postNonces).hasSize(2);
    assertThat(gateway.received).hasSize(1); // the 503 was not processed; the retry was, once
    assertThat(client.pendingMessages()).isZero();
  }

  @Test
  void aPostRefusedAsAWholeFailsItsMessages() throws Exception {
    polling(builder());
    events.connected();
    gateway.errorCode = "bad_signature";
    gateway.postStatuses.add(400);
    CompletableFuture<Void> sent = client.sendEvent("login", Json.object());
    assertThat(sent).failsWithin(Waits.EVENT).withThrowableOfType(ExecutionException.class)
        .havingCause().isInstanceOfSatisfying(MessageRefusedException.class,
            e -> assertThat(e.code()).isEqualTo("bad_signature"));
    // The next message goes through.
    client.sendEvent("login", Json.object()).get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(client.pendingMessages()).isZero();
  }

  @Test
  void deliveredCommandsAreAcknowledgedInAPost() throws Exception {
    polling(builder());
    events.connected();
    gateway.commands.add("m-1");
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo("m-1");
    Awaitility.await().atMost(Waits.EVENT).until(() -> gateway.ackedIds().contains("m-1"));
    // A redelivery (a lost ack, say) is acknowledged again without reaching the handler.
    gateway.commands.add("m-1");
    Awaitility.await().atMost(Waits.EVENT).until(() -> gateway.ackedIds().size() == 2);
    assertThat(handled.poll(200, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void handlersBehindPausePolling() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    polling(builder().maxPendingDeliveries(2).onMessage("commands", m -> {
      release.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      handled.add(m);
    }));
    events.connected();
    gateway.commands.add("m-1");
    gateway.commands.add("m-2");
    Awaitility.await().atMost(Waits.EVENT).until(() -> gateway.commands.isEmpty());
    TimeUnit.MILLISECONDS.sleep(300);
    int polls = gateway.polls.get();
    TimeUnit.MILLISECONDS.sleep(1500); // longer than the poll wait: a running poller would poll again
    assertThat(gateway.polls.get()).isEqualTo(polls);
    release.complete(null);
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo("m-1");
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo("m-2");
    Awaitility.await().atMost(Waits.EVENT).until(() -> gateway.polls.get() > polls);
  }

  @Test
  void closeWaitsForTheLastPostAndPostsTheAcks() throws Exception {
    polling(builder().ackBatching(Duration.ofSeconds(5), 64).closeTimeout(Waits.EVENT));
    events.connected();
    gateway.commands.add("m-1");
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo("m-1");
    CompletableFuture<Void> sent = client.sendEvent("bye", Json.object());
    client.close(); // the ack would wait 5 s in its batch: close posts it
    assertThat(sent).isCompleted();
    assertThat(gateway.ackedIds()).contains("m-1");
    assertThat(events.stopped()).isEqualTo(StopReason.CLOSED);
  }

  @Test
  void pollsThatEndAtOnceWithNothingBackOffInsteadOfSpinning() throws Exception {
    gateway.pollsEndAtOnce = true;
    polling(builder().reconnectBackoff(Duration.ofMillis(200), Duration.ofSeconds(1)));
    events.connected();
    int before = gateway.polls.get();
    TimeUnit.MILLISECONDS.sleep(1500);
    // Back to back this would be hundreds of polls; with the backoff, a handful.
    assertThat(gateway.polls.get() - before).isLessThan(15);
    // Messages still arrive.
    gateway.commands.add("m-1");
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo("m-1");
  }

  @Test
  void aRefusedFirstAuthenticationIsRetriedNotRevocation() throws Exception {
    Recorder withErrors = new Recorder(true);
    gateway.authStatuses.add(401);
    client = builder().listener(withErrors).build().start();
    withErrors.disconnected();
    assertThat(withErrors.transportChanged()).isEqualTo(Transport.HTTP_POLLING);
    assertThat(withErrors.next(Recorder.Error.class).error()).hasMessageContaining("HTTP 401");
    assertThat(withErrors.connected().transport()).isEqualTo(Transport.HTTP_POLLING);
    assertThat(gateway.auths.get()).isEqualTo(2);
    assertThat(client.state()).isEqualTo(AgentClient.State.CONNECTED);
  }

  @Test
  void aRefusedTokenIsReplacedByANewSession() throws Exception {
    polling(builder());
    SessionInfo first = events.connected();
    gateway.revokeTokens(); // as if the token expired: the next poll gets 401, the new auth works
    SessionInfo second = events.connected();
    assertThat(second.sessionId()).isNotEqualTo(first.sessionId());
    gateway.commands.add("m-1");
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo("m-1");
  }

  @Test
  void aRefusedTokenThenARefusedAuthenticationIsRevocation() throws Exception {
    polling(builder());
    events.connected();
    gateway.authStatuses.add(401);
    gateway.revokeTokens();
    assertThat(events.stopped()).isEqualTo(StopReason.REVOKED);
    assertThat(client.state()).isEqualTo(AgentClient.State.STOPPED);
    assertThat(client.sendEvent("late", Json.object())).failsWithin(Waits.EVENT)
        .withThrowableOfType(ExecutionException.class).havingCause().isInstanceOf(AgentStoppedException.class);
  }

  @Test
  void aSessionSignedByAnUnpinnedKeyIsNeverUsed() throws Exception {
    Recorder withErrors = new Recorder(true);
    gateway.signingKey = IdentityKeyPair.generate(new SecureRandom());
    client = builder().listener(withErrors).build().start();
    withErrors.disconnected();
    withErrors.transportChanged();
    assertThat(withErrors.next(Recorder.Error.class).error()).hasMessageContaining("does not check out");
    assertThat(client.state()).isNotEqualTo(AgentClient.State.CONNECTED);
    assertThat(gateway.polls.get()).isZero();
  }

  @Test
  void aTokenRevokedAnswerToAPollStopsTheClientAtOnce() throws Exception {
    polling(builder());
    events.connected();
    gateway.errorCode = "token_revoked";
    gateway.pollStatuses.add(401);
    assertThat(events.stopped()).isEqualTo(StopReason.REVOKED);
    assertThat(client.state()).isEqualTo(AgentClient.State.STOPPED);
    // Unlike a plain 401, no new authentication is tried first.
    assertThat(gateway.auths.get()).isEqualTo(1);
  }

  @Test
  void aTokenRevokedAnswerToAPostStopsTheClientAndFailsItsMessages() throws Exception {
    polling(builder());
    events.connected();
    gateway.errorCode = "token_revoked";
    gateway.postStatuses.add(401);
    CompletableFuture<Void> sent = client.sendEvent("login", Json.object());
    assertThat(events.stopped()).isEqualTo(StopReason.REVOKED);
    assertThat(sent).failsWithin(Waits.EVENT).withThrowableOfType(ExecutionException.class)
        .havingCause().isInstanceOfSatisfying(AgentStoppedException.class,
            e -> assertThat(e.reason()).isEqualTo(StopReason.REVOKED));
    assertThat(gateway.auths.get()).isEqualTo(1);
  }

  @Test
  void aReplacedAnswerStopsTheClientAsReplaced() throws Exception {
    polling(builder());
    events.connected();
    gateway.errorCode = "replaced";
    gateway.pollStatuses.add(409);
    assertThat(events.stopped()).isEqualTo(StopReason.REPLACED);
    assertThat(client.stopped().get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(StopReason.REPLACED);
    assertThat(gateway.auths.get()).isEqualTo(1);
  }

  @Test
  void itsOwnRenewalReplacingItsSessionDoesNotStopIt() throws Exception {
    // The renewal comes while a poll waits; the gateway ends that poll with 409 replaced before the
    // renewal's own answer arrives: the client knows it is its own doing.
    gateway.sessionSeconds = 3;
    gateway.authDelayMillis = 500;
    polling(builder().pollWait(Duration.ofSeconds(5)));
    SessionInfo first = events.connected();
    SessionInfo second = events.connected();
    assertThat(second.sessionId()).isNotEqualTo(first.sessionId());
    gateway.commands.add("m-1");
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo("m-1");
    assertThat(client.state()).isEqualTo(AgentClient.State.CONNECTED);
    assertThat(client.stopped()).isNotDone();
  }

  @Test
  void anHttpSessionAsksForTheFirstPinAndOneSignedByTheSecondSwapsThem() throws Exception {
    // Pinned [other, backend]: this gateway does not hold "other" and signs with its current key,
    // the second pin, as a node not yet given an announced key would.
    IdentityKeyPair other = IdentityKeyPair.generate(new SecureRandom());
    polling(builder().backendKeys(other.publicKey().base64(), gateway.backendKey.publicKey().base64()));
    assertThat(events.next(Recorder.KeyPromoted.class).key()).isEqualTo(gateway.backendKey.publicKey());
    assertThat(events.connected().backendKeyId()).isEqualTo(gateway.backendKey.publicKey().keyIdHex());
    assertThat(gateway.askedKeyId).isEqualTo(other.publicKey().keyIdHex());
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(gateway.backendKey.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(other.publicKey());
  }

  @Test
  void theNextKeyAnnouncedInAPollIsPinnedAndAskedForFromThenOn() throws Exception {
    IdentityKeyPair next = IdentityKeyPair.generate(new SecureRandom());
    gateway.nextKey = next;
    polling(builder());
    assertThat(events.connected().backendKeyId()).isEqualTo(gateway.backendKey.publicKey().keyIdHex());
    assertThat(gateway.askedKeyId).isEqualTo(gateway.backendKey.publicKey().keyIdHex());
    assertThat(events.next(Recorder.KeyAnnounced.class).key()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(gateway.backendKey.publicKey());
    // The next session asks for the announced key and is signed by it; its announcement is a no-op.
    gateway.revokeTokens();
    assertThat(events.connected().backendKeyId()).isEqualTo(next.publicKey().keyIdHex());
    assertThat(gateway.askedKeyId).isEqualTo(next.publicKey().keyIdHex());
    events.expectNothing(Duration.ofMillis(500));
  }
}
