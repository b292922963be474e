package io.aegis.server.store;

/** The store failed (unreachable, full, or a bug in a query); the API answers 503. */
public final class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
