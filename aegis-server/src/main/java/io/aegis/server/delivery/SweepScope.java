package io.aegis.server.delivery;

import java.util.List;

/**
 * Which parts of the message queue this node sweeps (expires, samples, searches for pending
 * messages that no notice brought to their node, purges): the whole queue on a node alone, a
 * share of its partitions in a cluster, so that each partition is swept by one live node at a
 * time. The cluster implements it; {@link #whole} is a node alone.
 */
public interface SweepScope {
  /**
   * The queue tables this node sweeps now: the queue table itself, or some of its partitions.
   * Called on a worker thread before each sweep; may use the store (to renew leases).
   */
  List<String> claim();

  /** Whether other nodes sweep the rest of the queue (then what a sweep finds is told to the agents' nodes). */
  default boolean shared() {
    return false;
  }

  /** The whole queue, {@code table}, swept by this node alone. */
  static SweepScope whole(String table) {
    List<String> all = List.of(table);
    return () -> all;
  }
}
