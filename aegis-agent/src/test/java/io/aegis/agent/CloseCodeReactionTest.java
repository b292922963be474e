package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.agent.testing.GatewaySession;
import io.aegis.agent.testing.Recorder;
import io.aegis.agent.testing.ScriptedGateway;
import io.aegis.agent.testing.TestAgent;
import io.aegis.protocol.CloseCode.Reaction;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's reaction to each way the gateway can end a session (DESIGN §3.7, CloseCode):
 * stop, reconnect now, reconnect with backoff, or with long backoff. The test agent's normal
 * backoff is 20..100 ms and its long backoff 5..10 s, so the reaction shows in the delay.
 */
class CloseCodeReactionTest {

  private final TestAgent agent = new TestAgent();
  private final Recorder events = agent.recorder;
  private final ScriptedGateway gateway = agent.gateway();
  private AgentClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    gateway.close();
  }

  private GatewaySession connect() throws Exception {
    client = agent.builder(gateway).build().start();
    GatewaySession s = gateway.nextSession();
    events.connected();
    return s;
  }

  @Test
  void revokedStopsAndNeverReconnects() throws Exception {
    GatewaySession s = connect();
    s.close(4003, "revoked");
    assertThat(events.disconnected().code()).isEqualTo(4003);
    assertThat(events.stopped()).isEqualTo(StopReason.REVOKED);
    assertThat(client.stopped().get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(StopReason.REVOKED);
    assertThat(client.state()).isEqualTo(AgentClient.State.STOPPED);
    gateway.expectNoConnection(Duration.ofMillis(1500));
    assertThat(gateway.upgrades()).isEqualTo(1);
    events.expectNothing(Duration.ofMillis(100));
  }

  @Test
  void sendsAfterRevocationFailWithTheStopReason() throws Exception {
    GatewaySession s = connect();
    s.close(4003, "revoked");
    events.disconnected();
    events.stopped();
    var f = client.send("events", "event", AgentClientTest.json("{}"));
    assertThat(f).failsWithin(Waits.EVENT).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause().isInstanceOfSatisfying(AgentStoppedException.class,
            e -> assertThat(e.reason()).isEqualTo(StopReason.REVOKED));
  }

  @Test
  void replacedStopsWithoutFightingTheOtherInstance() throws Exception {
    GatewaySession s = connect();
    s.close(4004, "replaced");
    assertThat(events.disconnected().code()).isEqualTo(4004);
    assertThat(events.stopped()).isEqualTo(StopReason.REPLACED);
    gateway.expectNoConnection(Duration.ofMillis(1000));
  }

  @Test
  void sessionExpiredReconnectsAtOnceWithAFreshHandshake() throws Exception {
    GatewaySession s = connect();
    s.close(4002, "session expired");
    assertThat(events.disconnected().code()).isEqualTo(4002);
    Recorder.Reconnecting r = events.reconnecting();
    assertThat(r.reaction()).isEqualTo(Reaction.RECONNECT_NOW);
    assertThat(r.delay()).isZero();
    GatewaySession again = gateway.nextSession();
    assertThat(again).isNotSameAs(s);
    events.connected();
  }

  @Test
  void shuttingDownReconnectsWithBackoff() throws Exception {
    GatewaySession s = connect();
    s.close(1001, "server shutting down");
    assertThat(events.disconnected().code()).isEqualTo(1001);
    Recorder.Reconnecting r = events.reconnecting();
    assertThat(r.reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
    assertThat(r.delay()).isLessThanOrEqualTo(Duration.ofMillis(100));
    gateway.nextSession();
    events.connected();
  }

  @Test
  void protocolViolationReconnectsWithBackoff() throws Exception {
    GatewaySession s = connect();
    s.close(4006, "protocol violation");
    assertThat(events.disconnected().code()).isEqualTo(4006);
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
    gateway.nextSession();
  }

  @Test
  void authFailureWaitsTheLongBackoff() throws Exception {
    GatewaySession s = connect();
    s.close(4001, "authentication failed");
    assertThat(events.disconnected().code()).isEqualTo(4001);
    Recorder.Reconnecting r = events.reconnecting();
    assertThat(r.reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
    assertThat(r.delay()).isLessThanOrEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void rateLimitedWaitsTheLongBackoff() throws Exception {
    GatewaySession s = connect();
    s.close(4005, "rate limited");
    assertThat(events.disconnected().code()).isEqualTo(4005);
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
  }

  @Test
  void http401BeforeTheUpgradeIsAnAuthenticationFailure() throws Exception {
    gateway.refuseUpgrades(401);
    client = agent.builder(gateway).build().start();
    Recorder.Disconnected d = events.disconnected();
    assertThat(d.code()).isEqualTo(1006);
    assertThat(d.reason()).contains("HTTP 401");
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
    assertThat(client.state()).isEqualTo(AgentClient.State.WAITING);
  }

  @Test
  void http429IsRateLimitingAnd503IsAnOrdinaryFailure() throws Exception {
    gateway.refuseUpgrades(503);
    client = agent.builder(gateway).build().start();
    assertThat(events.disconnected().reason()).contains("HTTP 503");
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
    gateway.refuseUpgrades(429);
    assertThat(events.disconnected().reason()).contains("HTTP 429");
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
  }

  @Test
  void aRefusedHandshakeIsAnAuthenticationFailure() throws Exception {
    gateway.handshakes(ScriptedGateway.HandshakeMode.FAIL);
    client = agent.builder(gateway).build().start();
    Recorder.Disconnected d = events.disconnected();
    assertThat(d.code()).isEqualTo(4001);
    assertThat(d.reason()).contains("rejected_by_server");
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
    assertThat(agent.recorder.errors().poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS))
        .isInstanceOf(io.aegis.protocol.handshake.HandshakeException.class);
  }

  @Test
  void aGatewaySignedByAnUnpinnedKeyIsRefused() throws Exception {
    gateway.useKeys(io.aegis.protocol.BackendKeyRing.of(gateway.nextBackendKey()));
    client = agent.builder(gateway).build().start();
    GatewaySession s = gateway.nextConnection();
    Recorder.Disconnected d = events.disconnected();
    assertThat(d.code()).isEqualTo(4001);
    assertThat(d.reason()).contains("unknown_backend_key");
    assertThat(s.awaitClosed()).isEqualTo(4001);
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
  }

  @Test
  void aStalledHandshakeTimesOutWith4007AndRetries() throws Exception {
    gateway.handshakes(ScriptedGateway.HandshakeMode.SILENT);
    client = agent.builder(gateway).handshakeTimeout(Duration.ofMillis(300)).build().start();
    GatewaySession s = gateway.nextConnection();
    assertThat(events.disconnected().code()).isEqualTo(4007);
    assertThat(s.awaitClosed()).isEqualTo(4007);
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
    gateway.handshakes(ScriptedGateway.HandshakeMode.NORMAL);
    gateway.nextSession();
    // An attempt begun before the switch, or slower than 300 ms on a busy machine, fails first.
    events.connectedEventually();
  }

  @Test
  void aDeadGatewayIsDetectedByInactivityAndTheClientReconnects() throws Exception {
    client = agent.builder(gateway).heartbeat(Duration.ofMillis(100), Duration.ofMillis(400)).build().start();
    GatewaySession s = gateway.nextSession();
    events.connected();
    s.stopReading();
    Recorder.Disconnected d = events.disconnected();
    assertThat(d.code()).isEqualTo(1006);
    assertThat(d.reason()).contains("no traffic");
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
    gateway.nextSession();
    events.connected();
  }

  @Test
  void aLiveGatewayKeepsTheSessionUpThroughHeartbeats() throws Exception {
    // Pings every 200 ms, each answered: the session outlives a whole inactivity timeout (2 s, far
    // longer than any pong is late on a busy machine).
    client = agent.builder(gateway).heartbeat(Duration.ofMillis(200), Duration.ofSeconds(2)).build().start();
    gateway.nextSession();
    events.connected();
    events.expectNothing(Duration.ofMillis(2500));
    assertThat(client.state()).isEqualTo(AgentClient.State.CONNECTED);
  }

  @Test
  void closeEndsTheSessionWithNormalClosureAndStops() throws Exception {
    GatewaySession s = connect();
    client.close();
    assertThat(s.awaitClosed()).isEqualTo(1000);
    assertThat(events.disconnected().code()).isEqualTo(1000);
    assertThat(events.stopped()).isEqualTo(StopReason.CLOSED);
    gateway.expectNoConnection(Duration.ofMillis(300));
  }

  @Test
  void aNetworkFailureBeforeAnyGatewayIsUpBacksOffAndRetries() throws Exception {
    int port;
    try (java.net.ServerSocket ss = new java.net.ServerSocket(0)) {
      port = ss.getLocalPort();
    }
    client = agent.builder(gateway).backend("http://127.0.0.1:" + port).build().start();
    Recorder.Disconnected d = events.disconnected();
    assertThat(d.code()).isEqualTo(1006);
    assertThat(d.reason()).startsWith("cannot connect");
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
    assertThat(events.disconnected().code()).isEqualTo(1006);
  }
}
