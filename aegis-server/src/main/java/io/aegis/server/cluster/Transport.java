package io.aegis.server.cluster;

/** How an agent's session reaches the node that holds it. */
public enum Transport {
  /** A WebSocket session ({@code GET /ws/agent}). */
  WEBSOCKET("websocket"),
  /** HTTP long polls (docs/PROTOCOL.md §17). */
  HTTP_POLLING("http_polling");

  private final String wireName;

  Transport(String wireName) {
    this.wireName = wireName;
  }

  /** The name in JSON answers and in the cluster's notices. */
  public String wireName() {
    return wireName;
  }

  /** The transport named {@code name} by {@link #wireName}. */
  public static Transport ofWireName(String name) {
    for (Transport t : values()) {
      if (t.wireName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown transport '" + name + "'");
  }
}
