package io.aegis.server.testing;

import java.time.Duration;

/**
 * How long tests wait. A test waits for the event it asserts, never a fixed time, and with a
 * bound generous enough that on a machine whose cores are busy with other work the test is slow,
 * not wrong: a wait returns as soon as its event happens, so the bound costs nothing when all is
 * well. Only a test that asserts that something does <em>not</em> happen waits a fixed time
 * ({@link #QUIET}); such a test can pass wrongly on a slow machine, never fail wrongly.
 */
public final class Waits {
  /** The longest a test waits for something it expects to happen. */
  public static final Duration EVENT = Duration.ofSeconds(30);
  /** How long a test watches for something that must not happen. */
  public static final Duration QUIET = Duration.ofMillis(500);

  private Waits() {}
}
