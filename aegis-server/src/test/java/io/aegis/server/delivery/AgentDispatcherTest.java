package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.record.SignedCommand;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgents;
import io.aegis.server.testing.TestGateway;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher of a real node's delivery engine, driven through a {@link RecordingLink} instead
 * of a WebSocket session: what it sends, in which order, when it holds back, and what the store
 * says afterwards. Messages are sent through the REST API, as an operator would.
 */
class AgentDispatcherTest {
  static final Gateways gateways = new Gateways(Map.of(
      "AEGIS_ACK_TIMEOUT", "1s",
      "MESSAGE_RETRY_ATTEMPTS", "1",
      "AEGIS_DELIVERY_WINDOW", "3"));

  private final List<RecordingLink> links = new ArrayList<>();

  @AfterAll
  static void stop() {
    gateways.close();
  }

  @AfterEach
  void closeLinks() {
    links.forEach(RecordingLink::close);
  }

  private static TestGateway gw() {
    return gateways.get(StoreKind.SQLITE);
  }

  private static DeliveryEngine engine() {
    return gw().server().delivery();
  }

  private RecordingLink open(String agentId) {
    RecordingLink link = new RecordingLink(agentId);
    links.add(link);
    link.execute(() -> engine().opened(link));
    return link;
  }

  private static String agent(String prefix) {
    String agentId = Gateways.unique(prefix);
    TestAgents.register(gw(), agentId, Map.of());
    return agentId;
  }

  private static String send(String agentId, String priority, String text) {
    var r = gw().operator().post("/api/v1/agents/" + agentId + "/send", Map.of("channel", "commands",
        "message", Map.of("text", text), "message_type", "event", "priority", priority));
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().path("message_id").asText();
  }

  private static JsonNode view(String messageId) {
    return gw().operator().get("/api/v1/messages/" + messageId).json();
  }

  private static void ack(RecordingLink link, String... ids) {
    link.execute(() -> engine().acknowledged(link, List.of(ids), Map.of()));
  }

  @Test
  void theBacklogGoesOutByPriorityThenInOrderOfSending() {
    String agentId = agent("order");
    String bulk1 = send(agentId, "bulk", "l1");
    String normal1 = send(agentId, "normal", "n1");
    String control = send(agentId, "control", "c");
    String bulk2 = send(agentId, "bulk", "l2");

    RecordingLink link = open(agentId);
    List<String> sent = List.of(link.next().id(), link.next().id(), link.next().id());
    assertThat(sent).containsExactly(control, normal1, bulk1);
    link.assertNothingMore(); // the window (3) is full until an ack

    ack(link, control);
    assertThat(link.next().id()).isEqualTo(bulk2);
  }

  @Test
  void aLinkThatIsNotWritableGetsNothingUntilItDrains() {
    String agentId = agent("full");
    RecordingLink link = open(agentId);
    link.writable = false;
    String id = send(agentId, "normal", "held");
    link.assertNothingMore();
    assertThat(view(id).path("status").asText()).isEqualTo("pending");

    link.writable = true;
    link.execute(() -> engine().writable(link));
    assertThat(link.next().id()).isEqualTo(id);
  }

  @Test
  void anAcknowledgedMessageIsDeliveredInTheStoreAndNotSentAgain() {
    String agentId = agent("acked");
    RecordingLink link = open(agentId);
    String id = send(agentId, "normal", "once");
    assertThat(link.next().id()).isEqualTo(id);
    ack(link, id);
    await().atMost(Duration.ofSeconds(20)).until(() -> view(id).path("status").asText().equals("delivered"));
    assertThat(view(id).path("attempts").asInt()).isEqualTo(1);
    // Past the ack timeout (1 s) nothing is sent again: wait for a later message to pass first.
    String later = send(agentId, "normal", "later");
    assertThat(link.next().id()).isEqualTo(later);
    link.assertNothingMore();
  }

  @Test
  void anUnacknowledgedMessageIsSentAgainThenFailsWhenItsAttemptsAreUsedUp() {
    String agentId = agent("unacked");
    RecordingLink link = open(agentId);
    String id = send(agentId, "normal", "lost");
    assertThat(link.next().id()).isEqualTo(id);
    assertThat(link.next().id()).as("the redelivery after the ack deadline").isEqualTo(id);
    // MESSAGE_RETRY_ATTEMPTS=1: two transmissions, then failed (after the second deadline, 2 s).
    await().atMost(Duration.ofSeconds(30)).until(() -> view(id).path("status").asText().equals("failed"));
    JsonNode v = view(id);
    assertThat(v.path("attempts").asInt()).isEqualTo(2);
    assertThat(v.path("error").asText()).startsWith("retries exhausted: 2 transmissions");
    link.assertNothingMore();
  }

  @Test
  void anExpiredMessageIsExpiredAndNeverSent() {
    String agentId = agent("expired");
    var r = gw().operator().post("/api/v1/agents/" + agentId + "/send", Map.of("channel", "commands",
        "message", Map.of("text", "stale"), "message_type", "event", "ttl", "1s"));
    String id = r.json().path("message_id").asText();
    Instant expires = Instant.parse(view(id).path("expires_at").asText());
    await().atMost(Duration.ofSeconds(20)).until(() -> Instant.now().isAfter(expires));
    String fresh = send(agentId, "bulk", "fresh");

    RecordingLink link = open(agentId);
    assertThat(link.next().id()).isEqualTo(fresh);
    link.assertNothingMore();
    await().atMost(Duration.ofSeconds(20)).until(() -> view(id).path("status").asText().equals("expired"));
  }

  @Test
  void aLinkThatClosedBeforeDeliveryHeardOfItIsNeverWrittenTo() {
    String agentId = agent("closed");
    RecordingLink link = open(agentId);
    link.assertNothingMore(); // the backlog read found nothing
    // The socket closed, but its close has not reached delivery yet (it runs later on the loop).
    link.close();
    String id = send(agentId, "normal", "later");
    link.assertNothingMore();
    assertThat(link.writesAfterClose).isZero();
    assertThat(view(id).path("status").asText()).isEqualTo("pending");

    link.execute(() -> engine().closed(link));
    RecordingLink next = open(agentId);
    assertThat(next.next().id()).isEqualTo(id);
  }

  /**
   * A link that records what the dispatcher sends, on one thread of its own (as a session has
   * its event loop), and whose writability and openness the test sets.
   */
  static final class RecordingLink implements AgentLink {
    private final String agentId;
    private final ExecutorService thread = Executors.newSingleThreadExecutor();
    private final LinkedBlockingQueue<SecureMessage> sent = new LinkedBlockingQueue<>();
    volatile boolean writable = true;
    volatile boolean open = true;
    volatile int writesAfterClose;

    RecordingLink(String agentId) {
      this.agentId = agentId;
    }

    @Override
    public String agentId() {
      return agentId;
    }

    @Override
    public void execute(Runnable task) {
      if (!thread.isShutdown()) {
        thread.execute(task);
      }
    }

    @Override
    public boolean writable() {
      return open && writable;
    }

    @Override
    public SecureMessage send(SignedCommand command, Map<String, String> headers) {
      if (!open) {
        writesAfterClose++;
        return null;
      }
      SecureMessage m = new SecureMessage(command.id(), command.type(), command.channel(), "c2VhbGVk",
          System.currentTimeMillis(), "bm9uY2U=", "", headers);
      sent.add(m);
      return m;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    /** The next record sent, waiting up to 30 s for it. */
    SecureMessage next() {
      try {
        SecureMessage m = sent.poll(30, TimeUnit.SECONDS);
        assertThat(m).as("a record sent through the link").isNotNull();
        return m;
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }

    /** Nothing else is sent once everything already handed to the link's thread has run. */
    void assertNothingMore() {
      try {
        thread.submit(() -> { }).get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertThat(sent).isEmpty();
    }

    void close() {
      open = false;
    }
  }
}
