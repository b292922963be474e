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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's switching between WebSocket and HTTP polling, against a {@link ScriptedGateway}
 * (which serves no REST API: the polling transport's authentication gets 404 and keeps retrying,
 * which is enough to see the switches). The polling transport itself is tested against the real
 * gateway in {@link HttpPollingEndToEndTest}.
 */
class FallbackTest {

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

  private AgentClientBuilder builder(int fallbackAfter) {
    return agent.builder(gateway).httpFallback(true).fallbackAfter(fallbackAfter)
        .websocketProbeInterval(Duration.ofMillis(300));
  }

  /** Consumes the listener events of one failed WebSocket attempt that is retried. */
  private void failedAndRetried(String reason) throws InterruptedException {
    assertThat(events.disconnected().reason()).contains(reason);
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
  }

  @Test
  void fallsBackAfterConsecutiveFailuresAndReturnsWhenAProbeSucceeds() throws Exception {
    gateway.refuseUpgrades(503);
    client = builder(3).build().start();
    failedAndRetried("HTTP 503");
    failedAndRetried("HTTP 503");
    assertThat(events.disconnected().reason()).contains("HTTP 503");
    assertThat(events.transportChanged()).isEqualTo(Transport.HTTP_POLLING);
    assertThat(client.transport()).isEqualTo(Transport.HTTP_POLLING);
    assertThat(client.state()).isNotEqualTo(AgentClient.State.CONNECTED); // no REST API here

    // Probes keep failing quietly: nothing reaches the listener, and the client keeps polling.
    int upgrades = gateway.upgrades();
    Awaitility.await().atMost(Waits.EVENT).until(() -> gateway.upgrades() > upgrades + 1);
    events.expectNothing(Duration.ofMillis(300));
    assertThat(client.transport()).isEqualTo(Transport.HTTP_POLLING);

    // The WebSocket works again: the next probe's session takes over.
    gateway.refuseUpgrades(0);
    gateway.nextSession();
    assertThat(events.transportChanged()).isEqualTo(Transport.WEBSOCKET);
    SessionInfo info = events.connected();
    assertThat(info.transport()).isEqualTo(Transport.WEBSOCKET);
    assertThat(client.transport()).isEqualTo(Transport.WEBSOCKET);
    assertThat(client.state()).isEqualTo(AgentClient.State.CONNECTED);
  }

  @Test
  void afterReturningTheCountStartsAgain() throws Exception {
    gateway.refuseUpgrades(503);
    client = builder(2).build().start();
    failedAndRetried("HTTP 503");
    events.disconnected();
    assertThat(events.transportChanged()).isEqualTo(Transport.HTTP_POLLING);
    gateway.refuseUpgrades(0);
    GatewaySession s = gateway.nextSession();
    assertThat(events.transportChanged()).isEqualTo(Transport.WEBSOCKET);
    events.connected();

    // One failure after returning is not enough to leave again...
    s.close(1011, "internal error");
    assertThat(events.disconnected().code()).isEqualTo(1011);
    events.reconnecting();
    s = gateway.nextSession();
    events.connected();
    // ...but two in a row are (sessions that die young count).
    s.close(1011, "internal error");
    assertThat(events.disconnected().code()).isEqualTo(1011);
    assertThat(events.transportChanged()).isEqualTo(Transport.HTTP_POLLING);
  }

  @Test
  void theGatewayRefusingTheAgentIsNotAReasonToPoll() throws Exception {
    gateway.refuseUpgrades(401);
    client = builder(2).longBackoff(Duration.ofMillis(20), Duration.ofMillis(50)).build().start();
    for (int i = 0; i < 4; i++) {
      assertThat(events.disconnected().reason()).contains("HTTP 401");
      assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
    }
    assertThat(client.transport()).isEqualTo(Transport.WEBSOCKET);
  }

  @Test
  void withoutFallbackTheClientKeepsTryingTheWebSocket() throws Exception {
    gateway.refuseUpgrades(503);
    client = builder(1).httpFallback(false).build().start();
    for (int i = 0; i < 4; i++) {
      failedAndRetried("HTTP 503");
    }
    assertThat(client.transport()).isEqualTo(Transport.WEBSOCKET);
  }

  @Test
  void revokedAndReplacedStillStop() throws Exception {
    client = builder(1).build().start();
    GatewaySession s = gateway.nextSession();
    events.connected();
    s.close(4003, "revoked");
    assertThat(events.disconnected().code()).isEqualTo(4003);
    assertThat(events.stopped()).isEqualTo(StopReason.REVOKED);
    assertThat(client.transport()).isEqualTo(Transport.WEBSOCKET);
    gateway.expectNoConnection(Duration.ofMillis(500));
  }

  @Test
  void closingWhilePollingStopsEverything() throws Exception {
    gateway.refuseUpgrades(503);
    client = builder(1).build().start();
    events.disconnected();
    assertThat(events.transportChanged()).isEqualTo(Transport.HTTP_POLLING);
    var pending = client.sendEvent("login", Json.object());
    client.close();
    assertThat(events.stopped()).isEqualTo(StopReason.CLOSED);
    assertThat(client.state()).isEqualTo(AgentClient.State.STOPPED);
    assertThat(pending).failsWithin(Waits.EVENT).withThrowableOfType(
        java.util.concurrent.ExecutionException.class).havingCause().isInstanceOf(AgentStoppedException.class);
    int upgrades = gateway.upgrades();
    TimeUnit.MILLISECONDS.sleep(700);
    assertThat(gateway.upgrades()).isEqualTo(upgrades);
  }
}
