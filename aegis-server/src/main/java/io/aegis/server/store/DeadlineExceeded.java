package io.aegis.server.store;

/**
 * A write whose deadline passed before the store took it: it was not run and never will be, so
 * the caller may tell its client that nothing was committed.
 */
public final class DeadlineExceeded extends RuntimeException {
  public DeadlineExceeded() {
    super("the store did not take the write before its deadline; nothing was committed", null, false, false);
  }
}
