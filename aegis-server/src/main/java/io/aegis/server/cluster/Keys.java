package io.aegis.server.cluster;

/**
 * The names of one cluster's keys and channels in Redis, all under {@code aegis:<cluster id>:},
 * so that clusters sharing a Redis server (or a database number: pub/sub channels ignore it)
 * never meet.
 */
record Keys(String prefix) {
  static Keys of(String clusterId) {
    return new Keys("aegis:" + clusterId + ":");
  }

  /** A node's hash (incarnation, state, sessions, beats). */
  String node(String nodeId) {
    return prefix + "node:" + nodeId;
  }

  /** Agent → the epoch of its latest claim over {@code transport} (see {@link RedisPresence}). */
  String presenceEpochs(Transport transport) {
    return prefix + "presence-epoch:" + transport.wireName();
  }

  /** Every node seen recently, scored by its last beat. */
  String nodes() {
    return prefix + "nodes";
  }

  /** Agent → where its session over {@code transport} is. */
  String presence(Transport transport) {
    return prefix + "presence:" + transport.wireName();
  }

  /** The channel every node hears. */
  String everyone() {
    return prefix + "events";
  }

  /** The channel only {@code nodeId} hears. */
  String inbox(String nodeId) {
    return prefix + "inbox:" + nodeId;
  }
}
