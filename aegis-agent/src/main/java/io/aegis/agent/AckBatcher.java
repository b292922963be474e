package io.aegis.agent;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Collects acknowledgements of backend messages and sends them in batches: one {@code ack}
 * record (channel {@code control}) per {@code batchSize} ids, or {@code delay} after the first
 * pending id, whichever comes first.
 *
 * <pre>
 * {"ids":["m1","m2"]}                                    delivered (or duplicates of delivered ones)
 * {"ids":["m3"],"rejected":{"m3":"bad_signature"}}       refused: the backend stops retrying
 * </pre>
 *
 * <p>Acks pending when a session ends are dropped: the gateway redelivers those messages, and
 * the client acknowledges them again as duplicates without calling a handler.
 *
 * <p>Not thread-safe; used on the I/O thread.
 */
final class AckBatcher {

  private final ScheduledExecutorService io;
  private final Duration delay;
  private final int batchSize;
  private final Consumer<byte[]> send;
  private final List<String> ids = new ArrayList<>();
  private final Map<String, String> rejected = new LinkedHashMap<>();
  private ScheduledFuture<?> timer;

  /**
   * @param io        the I/O thread, for the flush timer
   * @param delay     longest wait before a partial batch is sent
   * @param batchSize ids per record at most
   * @param send      sends one ack body (called on the I/O thread)
   */
  AckBatcher(ScheduledExecutorService io, Duration delay, int batchSize, Consumer<byte[]> send) {
    this.io = io;
    this.delay = delay;
    this.batchSize = batchSize;
    this.send = send;
  }

  /** Acknowledges a delivered message. */
  void ack(String id) {
    add(id, null);
  }

  /** Acknowledges a refused message with the reason. */
  void reject(String id, String reason) {
    add(id, reason);
  }

  private void add(String id, String reason) {
    ids.add(id);
    if (reason != null) {
      rejected.put(id, reason);
    }
    if (ids.size() >= batchSize) {
      flush();
    } else if (timer == null) {
      timer = io.schedule(this::flush, delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Sends what is pending now. */
  void flush() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    if (ids.isEmpty()) {
      return;
    }
    ObjectNode body = Json.object();
    ArrayNode a = body.putArray("ids");
    ids.forEach(a::add);
    if (!rejected.isEmpty()) {
      ObjectNode r = body.putObject("rejected");
      rejected.forEach(r::put);
    }
    ids.clear();
    rejected.clear();
    send.accept(Json.bytes(body));
  }

  /** Drops what is pending (the session ended). */
  void clear() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    ids.clear();
    rejected.clear();
  }

  int pending() {
    return ids.size();
  }
}
