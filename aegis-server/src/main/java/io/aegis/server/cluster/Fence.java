package io.aegis.server.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node that was away — paused (a long GC, {@code SIGSTOP}, a frozen VM) or cut off from
 * Redis — from acting on what it missed. While it was away, its agents may have reconnected to
 * other nodes, and the notices telling it to close their old sessions here were lost. So whenever
 * it comes back (the Redis link is up again, or a timer finds that the process stood still for
 * more than {@value #PAUSE_MILLIS} ms), it <em>holds delivery</em>, claims its sessions in Redis
 * again, closes at once (4004, replaced) every session that another node claimed later (a higher
 * presence epoch: the order is Redis's, not any node's clock; {@link RedisPresence#reclaimAll}),
 * and then lets delivery go on. Nothing is sent through a stale session in between.
 *
 * <p>Thread-safe.
 */
final class Fence implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Fence.class);
  static final long TICK_MILLIS = 250;
  static final long PAUSE_MILLIS = 2000;

  /** What the fence holds and releases: delivery on this node. */
  interface Hold {
    void hold();

    void release();
  }

  private final Vertx vertx;
  private final RedisPresence presence;
  private final LocalNodeEvents local;
  private final RedisLink link;
  private final Counter fenced;
  private final AtomicBoolean checking = new AtomicBoolean();
  private volatile boolean again;
  private volatile Hold hold = new Hold() {
    @Override
    public void hold() {}

    @Override
    public void release() {}
  };
  private final long timer;
  private long lastTick = System.nanoTime();

  Fence(Vertx vertx, RedisPresence presence, LocalNodeEvents local, RedisLink link, MeterRegistry meters) {
    this.vertx = vertx;
    this.presence = presence;
    this.local = local;
    this.link = link;
    this.fenced = Counter.builder("aegis.cluster.fenced.sessions")
        .description("Sessions closed when this node came back from a pause or a partition because another node "
            + "had taken their agents over").register(meters);
    this.timer = vertx.setPeriodic(TICK_MILLIS, id -> tick());
  }

  /** Delivery on this node, held while a check runs. */
  void hold(Hold hold) {
    this.hold = hold;
  }

  private void tick() {
    long now = System.nanoTime();
    long gap = TimeUnit.NANOSECONDS.toMillis(now - lastTick);
    lastTick = now;
    if (gap > PAUSE_MILLIS) {
      log.warn("this node stood still for {} ms (a pause): checking which of its sessions are still its own", gap);
      check();
    }
  }

  /** Holds delivery, closes the sessions other nodes took over, and releases delivery. Any thread. */
  void check() {
    if (!link.isUp()) {
      return; // checked when the link is back
    }
    if (!checking.compareAndSet(false, true)) {
      again = true; // one more pass after the running one: it may have started before the news
      return;
    }
    again = false;
    Hold h = hold;
    h.hold();
    presence.reclaimAll().whenComplete((stale, e) -> {
      try {
        if (stale != null && !stale.isEmpty()) {
          log.warn("{} sessions were taken over by other nodes while this node was away: closing them", stale.size());
          for (RedisPresence.Stale s : stale) {
            fenced.increment();
            // As if the other node's notice had arrived now: the session here is older than any.
            local.sessionOpened(s.agentId(), s.transport(), s.holder().isEmpty() ? "elsewhere" : s.holder(),
                Long.MAX_VALUE);
          }
        }
      } finally {
        h.release();
        checking.set(false);
        if (again) {
          vertx.runOnContext(v -> check());
        }
      }
    });
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
  }
}
