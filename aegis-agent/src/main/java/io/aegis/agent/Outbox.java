package io.aegis.agent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent→backend messages not yet settled: queued (not yet written in the current session)
 * and in flight (written, waiting for the gateway's ack, error or response).
 *
 * <p><b>Bounded.</b> Every message holds one of {@code capacity} slots from
 * {@link #tryReserve()} (on the caller's thread, before anything is built) until it is settled
 * and {@link #remove(String) removed}. When all slots are taken a send fails at once with
 * {@link OutboxFullException}; nothing is dropped silently.
 *
 * <p><b>Reconnects.</b> When a session ends, messages in flight go back to the head of the queue
 * in the order they were written ({@link #requeueInFlight()}) and are written again, with the
 * same id and signature, on the next session: at-least-once towards the backend, which
 * recognises a repeated id. Over HTTP polling the same holds per post ({@link #requeue}).
 *
 * <p>Thread-safety: {@link #tryReserve()}, {@link #release()} and {@link #size()} are
 * thread-safe; every other method is for the I/O thread only.
 */
final class Outbox {

  private final int capacity;
  private final AtomicInteger reserved = new AtomicInteger();
  private final ArrayDeque<OutgoingMessage> queued = new ArrayDeque<>();
  private final LinkedHashMap<String, OutgoingMessage> inFlight = new LinkedHashMap<>();

  Outbox(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("outboxCapacity must be at least 1, was " + capacity);
    }
    this.capacity = capacity;
  }

  int capacity() {
    return capacity;
  }

  /** Takes a slot; false if the outbox is full. Any thread. */
  boolean tryReserve() {
    while (true) {
      int n = reserved.get();
      if (n >= capacity) {
        return false;
      }
      if (reserved.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Gives back a slot taken by {@link #tryReserve()} for a message that was never added. Any thread. */
  void release() {
    reserved.decrementAndGet();
  }

  /** Slots taken. Any thread. */
  int size() {
    return reserved.get();
  }

  /** Queues a message whose slot was reserved. */
  void add(OutgoingMessage m) {
    queued.addLast(m);
  }

  /** The next message to write, taken off the queue; {@code null} if none. */
  OutgoingMessage pollQueued() {
    return queued.pollFirst();
  }

  /** The next message to write, left on the queue; {@code null} if none. */
  OutgoingMessage peekQueued() {
    return queued.peekFirst();
  }

  boolean hasQueued() {
    return !queued.isEmpty();
  }

  /** Records that {@code m} was written and now waits for the gateway. */
  void markInFlight(OutgoingMessage m) {
    inFlight.put(m.id, m);
  }

  /** The in-flight message with this id, or {@code null}. */
  OutgoingMessage inFlight(String id) {
    return inFlight.get(id);
  }

  /**
   * Removes a settled message (in flight or still queued) and frees its slot.
   *
   * @return the message, or {@code null} if unknown (already settled, for example timed out)
   */
  OutgoingMessage remove(String id) {
    OutgoingMessage m = inFlight.remove(id);
    if (m == null) {
      for (var it = queued.iterator(); it.hasNext(); ) {
        OutgoingMessage q = it.next();
        if (q.id.equals(id)) {
          it.remove();
          m = q;
          break;
        }
      }
    }
    if (m != null) {
      reserved.decrementAndGet();
    }
    return m;
  }

  /** After a session ended: messages in flight go back to the head of the queue, in write order. */
  void requeueInFlight() {
    List<OutgoingMessage> again = new ArrayList<>(inFlight.values());
    inFlight.clear();
    for (int i = again.size() - 1; i >= 0; i--) {
      queued.addFirst(again.get(i));
    }
  }

  /**
   * Puts {@code messages} (written together, in this order) back at the head of the queue, those
   * of them still in flight: an HTTP post that did not get through. Messages settled meanwhile
   * are left alone.
   */
  void requeue(List<OutgoingMessage> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      OutgoingMessage m = messages.get(i);
      if (inFlight.remove(m.id) != null) {
        queued.addFirst(m);
      }
    }
  }

  /** Removes everything (the client stopped) and frees the slots. */
  List<OutgoingMessage> drain() {
    List<OutgoingMessage> all = new ArrayList<>(inFlight.values());
    all.addAll(queued);
    inFlight.clear();
    queued.clear();
    reserved.addAndGet(-all.size());
    return all;
  }
}
