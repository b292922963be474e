package io.aegis.bench;

/** A run that cannot go on (a limit too low, a gateway that refuses us); the message says why and what to do. */
public final class BenchException extends RuntimeException {
  public BenchException(String message) {
    super(message);
  }
}
