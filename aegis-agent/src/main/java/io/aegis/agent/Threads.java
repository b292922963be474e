package io.aegis.agent;

import java.util.concurrent.ThreadFactory;

/**
 * The thread factory of one of the client's single-threaded executors: daemon threads with a
 * recognisable name, and {@link #isCurrent()} to tell whether code runs on that executor (so
 * that {@code close()} called from a handler or listener does not wait for itself).
 *
 * <p>Thread-safe.
 */
final class Threads implements ThreadFactory {

  private final String name;
  private volatile Thread current;

  Threads(String name) {
    this.name = name;
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    current = t;
    return t;
  }

  /** True if the calling thread is the executor's (most recent) thread. */
  boolean isCurrent() {
    return Thread.currentThread() == current;
  }
}
