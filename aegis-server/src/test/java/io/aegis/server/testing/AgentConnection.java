package io.aegis.server.testing;

import io.aegis.protocol.record.OpenedRecord;
import java.time.Duration;
import java.util.Map;

/**
 * A connected test agent, whatever its transport ({@link Transport}): what the delivery scenarios
 * need, so that one scenario runs over every transport.
 */
public interface AgentConnection extends AutoCloseable {

  /** The next record from the gateway that is not an {@code ack}; fails after {@link Waits#EVENT}. */
  OpenedRecord nextNonAck();

  /** Acknowledges delivered messages with a sealed {@code ack} record. */
  void ack(String... messageIds);

  /** Sends one agent message signed with the agent's key, as the SDK does for events, requests and responses. */
  void sendSigned(String id, String type, String channel, Map<String, String> headers, String body);

  /** Asserts that no record arrives within {@code d}. */
  void expectNothing(Duration d);

  @Override
  void close();
}
