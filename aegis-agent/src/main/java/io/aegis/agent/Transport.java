package io.aegis.agent;

/**
 * How the client reaches the gateway ({@link AgentClient#transport()},
 * {@link Listener#transportChanged}).
 */
public enum Transport {
  /**
   * One WebSocket session (PROTOCOL.md §2-§12): the normal transport, and the one the client
   * always returns to.
   */
  WEBSOCKET,
  /**
   * The HTTP-polling fallback (PROTOCOL.md §17): a session from {@code POST /api/v1/auth} with an
   * ephemeral key, long polls for the gateway's messages and sealed posts for the agent's. Used
   * after repeated WebSocket failures ({@link AgentClientBuilder#fallbackAfter(int)}), while the
   * client probes the WebSocket in the background.
   */
  HTTP_POLLING
}
