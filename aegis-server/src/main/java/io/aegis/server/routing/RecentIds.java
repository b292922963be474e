package io.aegis.server.routing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The most recent (agent, message id) pairs, so that a message an agent sends again — because
 * the session ended before it got the ack — takes effect once. Bounded: the oldest pairs are
 * forgotten first. Lives in this node's memory: an agent that resends to another node, or after
 * a restart, is not recognised (the event store then holds the batch twice, each copy with the
 * same agent, type and time).
 *
 * <p>Thread-safe.
 */
final class RecentIds {
  private final Map<String, Boolean> ids;

  RecentIds(int capacity) {
    this.ids = new LinkedHashMap<>(1024, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > capacity;
      }
    };
  }

  /** Remembers the pair; false if it was already remembered. */
  synchronized boolean add(String agentId, String id) {
    return ids.putIfAbsent(agentId + '\0' + id, Boolean.TRUE) == null;
  }

  synchronized void remove(String agentId, String id) {
    ids.remove(agentId + '\0' + id);
  }
}
