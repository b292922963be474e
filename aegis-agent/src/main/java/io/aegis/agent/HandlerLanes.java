package io.aegis.agent;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs handler tasks on an executor, one lane at a time: tasks of one lane run in submission
 * order and never concurrently, whatever the executor's number of threads; tasks of different
 * lanes may run in parallel.
 *
 * <p>The client keys lanes by channel when the application supplies its own executor (FIFO per
 * channel, channels in parallel), and uses a single lane on its own single-threaded executor
 * (FIFO across all channels: the gateway's per-agent order). After each task a lane gives its
 * thread back to the executor, so a busy channel cannot starve the others.
 *
 * <p>Thread-safe.
 */
final class HandlerLanes {

  private final Executor executor;
  private final boolean perChannel;
  private final Map<String, Lane> lanes = new HashMap<>();

  /**
   * @param executor   where tasks run
   * @param perChannel one lane per channel (else one lane for all)
   */
  HandlerLanes(Executor executor, boolean perChannel) {
    this.executor = executor;
    this.perChannel = perChannel;
  }

  /** Queues {@code task} on the lane of {@code channel}. */
  void submit(String channel, Runnable task) {
    String key = perChannel ? channel : "";
    Lane lane;
    boolean start;
    synchronized (lanes) {
      lane = lanes.computeIfAbsent(key, Lane::new);
      lane.tasks.addLast(task);
      start = !lane.scheduled;
      lane.scheduled = true;
    }
    if (start) {
      schedule(lane);
    }
  }

  private void schedule(Lane lane) {
    try {
      executor.execute(() -> runOne(lane));
    } catch (RejectedExecutionException e) {
      // The executor was shut down (the client is closing): the lane's tasks are dropped, and
      // their messages stay unacknowledged, so the gateway redelivers them to the next run.
      synchronized (lanes) {
        lane.tasks.clear();
        lane.scheduled = false;
        lanes.remove(lane.key);
      }
    }
  }

  private void runOne(Lane lane) {
    Runnable task;
    synchronized (lanes) {
      task = lane.tasks.pollFirst();
    }
    try {
      if (task != null) {
        task.run();
      }
    } finally {
      boolean more;
      synchronized (lanes) {
        more = !lane.tasks.isEmpty();
        if (!more) {
          lane.scheduled = false;
          lanes.remove(lane.key);
        }
      }
      if (more) {
        schedule(lane);
      }
    }
  }

  private static final class Lane {
    final String key;
    final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    boolean scheduled;

    Lane(String key) {
      this.key = key;
    }
  }
}
