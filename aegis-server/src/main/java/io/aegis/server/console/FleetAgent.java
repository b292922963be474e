package io.aegis.server.console;

import java.time.Instant;
import java.util.Map;

/**
 * One agent as the fleet view shows it: its registry status, its connection state and how it is
 * connected. Absent values are omitted from the JSON.
 *
 * @param status         the registry's {@code active} or {@code inactive}
 * @param state          {@code connected}, {@code offline} or {@code inactive} (deactivated)
 * @param transport      {@code websocket} or {@code http} while connected
 * @param nodeId         the node holding its session, or the last one that did
 * @param lastSeen       the last sign of life a node recorded (an HTTP poller: now)
 * @param connectedSince the start of its live WebSocket session
 */
public record FleetAgent(String agentId, String status, String state, String transport, String nodeId,
                         Instant lastSeen, Instant connectedSince, Map<String, String> labels) {}
