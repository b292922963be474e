package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** AEGIS_MAX_FRAME_SIZE (4 KiB here): anything larger closes the connection with 1009, before or after authentication. */
class FrameSizeLimitTest {
  static final int LIMIT = 4096;
  static final Gateways gateways = new Gateways(Map.of("AEGIS_MAX_FRAME_SIZE", "4KiB"));

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static TestGateway gw() {
    return gateways.get(StoreKind.SQLITE);
  }

  @Test
  void anOversizedFrameBeforeAuthenticationCloses1009() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("big-pre"));
    try (AgentSocket socket = agent.socket()) {
      socket.sendText("x".repeat(LIMIT + 1));
      assertTooBig(socket);
    }
  }

  @Test
  void anOversizedMessageInSmallFragmentsBeforeAuthenticationCloses1009() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("frag-pre"));
    try (AgentSocket socket = agent.socket()) {
      socket.sendText("{\"type\":\"" + "x".repeat(2000), false);
      socket.sendText("x".repeat(2000), false);
      socket.sendText("x".repeat(2000) + "\"}", true);
      assertTooBig(socket);
    }
  }

  @Test
  void anOversizedRecordAfterAuthenticationCloses1009() {
    try (TestAgent.Session s = TestAgent.register(gw(), Gateways.unique("big-post")).connect()) {
      // Sealed by an agent that does not know the gateway's limit (its own is 1 MiB).
      String frame = s.seal("evt-big", "event", "events", Map.of(), "\"" + "x".repeat(LIMIT) + "\"");
      assertThat(frame.length()).isGreaterThan(LIMIT);
      s.socket().sendText(frame);
      assertTooBig(s.socket());
    }
  }

  @Test
  void anOversizedRecordInSmallFragmentsAfterAuthenticationCloses1009() {
    try (TestAgent.Session s = TestAgent.register(gw(), Gateways.unique("frag-post")).connect()) {
      String frame = s.seal("evt-big", "event", "events", Map.of(), "\"" + "x".repeat(LIMIT) + "\"");
      int third = frame.length() / 3;
      s.socket().sendText(frame.substring(0, third), false);
      s.socket().sendText(frame.substring(third, 2 * third), false);
      s.socket().sendText(frame.substring(2 * third), true);
      assertTooBig(s.socket());
    }
  }

  @Test
  void aRecordJustUnderTheLimitIsAccepted() {
    try (TestAgent.Session s = TestAgent.register(gw(), Gateways.unique("fits")).connect()) {
      String frame = s.seal("evt-fits", "event", "events", Map.of(), "\"" + "x".repeat(2800) + "\"");
      assertThat(frame.length()).isBetween(LIMIT - 400, LIMIT);
      // In two fragments, to show that reassembly below the limit is fine.
      s.socket().sendText(frame.substring(0, 1000), false);
      s.socket().sendText(frame.substring(1000), true);
      assertThat(s.keyUpdateRoundTrip()).hasSize(1); // the error record answering the unsigned event
      assertThat(s.socket().isClosed()).isFalse();
    }
  }

  private static void assertTooBig(AgentSocket socket) {
    AgentSocket.Closed closed = socket.awaitClose();
    assertThat(closed.code()).as("close " + closed).isEqualTo(1009);
  }
}
