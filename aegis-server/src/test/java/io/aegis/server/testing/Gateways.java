package io.aegis.server.testing;

import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;

/**
 * One gateway per store, started on first use and shared by the tests of a class, so that a
 * class parameterized over {@link StoreKind} starts two nodes rather than two per test. Tests that
 * share a node keep out of each other's way by naming what they create with {@link #unique}.
 *
 * <pre>{@code
 * static final Gateways gateways = new Gateways();
 * @AfterAll static void stop() { gateways.close(); }
 *
 * @ParameterizedTest @EnumSource(StoreKind.class)
 * void something(StoreKind store) { TestGateway gw = gateways.get(store); ... }
 * }</pre>
 */
public final class Gateways implements AutoCloseable {
  private final Map<String, String> env;
  private final Map<StoreKind, TestGateway> started = new EnumMap<>(StoreKind.class);

  public Gateways() {
    this(Map.of());
  }

  /** Gateways started with extra environment variables. */
  public Gateways(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /** The node on {@code store}, started now if this is its first use (skips if PostgreSQL is unreachable). */
  public synchronized TestGateway get(StoreKind store) {
    TestGateway gw = started.get(store);
    if (gw == null) {
      gw = TestGateway.start(store, env);
      started.put(store, gw);
    }
    return gw;
  }

  /** {@code prefix} followed by a short random suffix: a name no other test uses. */
  public static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Override
  public synchronized void close() {
    for (TestGateway gw : started.values()) {
      gw.close();
    }
    started.clear();
  }
}
