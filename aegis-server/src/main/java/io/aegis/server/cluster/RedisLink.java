package io.aegis.server.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's line to Redis: a pooled client for commands, each bounded by
 * {@code AEGIS_REDIS_TIMEOUT}, and one subscriber connection for the cluster's channels that is
 * opened again, with growing pauses (250 ms up to 5 s), whenever it drops.
 *
 * <p>The link is <em>up</em> while the subscriber connection holds its subscriptions: then this
 * node hears the others. While it is down the node keeps serving from the store (delivery falls
 * back to the sweep), {@code /readyz} says {@code "cluster": "degraded"}, and each time it comes
 * back up the {@link #onUp} tasks run (presence is announced again). Nothing here blocks.
 *
 * <p>A connection can die without a reset (a NAT or balancer that forgot the flow, a silent
 * partition): TCP then says nothing for many minutes. So the link checks itself end to end: every
 * second it publishes a probe on a channel of its own, which its subscriber hears; when no probe has
 * come back for {@code 3 × max(1 s, AEGIS_REDIS_TIMEOUT)}, the subscriber is dropped and
 * reconnected, and the command client (whose pooled connections may be just as dead) replaced.
 *
 * <p>Thread-safe.
 */
final class RedisLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisLink.class);
  private static final long MIN_PAUSE_MILLIS = 250;
  private static final long MAX_PAUSE_MILLIS = 5000;
  private static final long CONNECT_TIMEOUT_MILLIS = 5000;
  private static final long PROBE_INTERVAL_MILLIS = 1000;
  private static final byte[] PROBE = {'p'};

  private final Vertx vertx;
  private final Context loop; // where every command is issued (see onLoop)
  private final RedisOptions options;
  private volatile Redis client;
  private final RedisOptions subscriberOptions;
  private final String probeChannel = "aegis:probe:" + java.util.UUID.randomUUID();
  private final long probeDeadlineNanos;
  private volatile long probeHeardNanos;
  private final long probeTimer;
  private volatile Redis subscriberClient;
  private final long timeoutMillis;
  private final List<Runnable> onUp = new CopyOnWriteArrayList<>();
  private final Counter failures;
  private volatile List<String> channels = List.of();
  private volatile BiConsumer<String, Buffer> handler = (c, m) -> { };
  private volatile RedisConnection subscriber;
  private volatile boolean up;
  private volatile boolean closed;
  private long pauseMillis = MIN_PAUSE_MILLIS;

  RedisLink(Vertx vertx, String url, Duration timeout, MeterRegistry meters) {
    this.vertx = vertx;
    this.timeoutMillis = timeout.toMillis();
    this.probeDeadlineNanos = TimeUnit.MILLISECONDS.toNanos(3 * Math.max(1000, timeoutMillis));
    this.options = new RedisOptions().setConnectionString(url)
        // RESP2 everywhere: hashes and pub/sub messages come as flat arrays, whatever the server.
        .setPreferredProtocolVersion(ProtocolVersion.RESP2)
        // Commands wait for a pooled connection at most this many at once; beyond, they fail fast.
        .setMaxWaitingHandlers(100_000)
        .setMaxPoolSize(8)
        .setMaxPoolWaiting(100_000);
    // Keepalive lets the kernel find a dead peer eventually; the probe below finds it in seconds.
    options.getNetClientOptions().setTcpKeepAlive(true);
    this.loop = vertx.getOrCreateContext();
    this.client = Redis.createClient(vertx, options);
    this.subscriberOptions = new RedisOptions(options).setMaxPoolSize(1);
    this.failures = Counter.builder("aegis.cluster.redis.failures")
        .description("Redis commands that failed or timed out").register(meters);
    Gauge.builder("aegis.cluster.redis.up", this, l -> l.up ? 1 : 0)
        .description("1 while this node hears the cluster's channels in Redis, else 0 (degraded: the store sweep "
            + "carries delivery)").register(meters);
    this.probeTimer = vertx.setPeriodic(PROBE_INTERVAL_MILLIS, id -> probe());
  }

  /** Whether this node hears the other nodes now. */
  boolean isUp() {
    return up;
  }

  /** Runs {@code task} each time the link comes (back) up, on an event loop; must not block. */
  void onUp(Runnable task) {
    onUp.add(task);
  }

  /** Sends a command; fails after the timeout. Any thread. */
  Future<Response> send(Request request) {
    return onLoop(() -> client.send(request));
  }

  /** Sends commands in one round trip (not atomically); fails after the timeout. Any thread. */
  Future<List<Response>> batch(List<Request> requests) {
    return onLoop(() -> client.batch(requests));
  }

  /**
   * Issues a command on the event loop the command connections live on. Called from elsewhere (a
   * store writer's thread, a worker), Vert.x would give each call a new context on the next event
   * loop, so that the answer, read on the connection's loop, is handed to another loop before the
   * caller sees it: an extra hop through a loop busy with sessions, on the path of every send to
   * an agent on another node.
   */
  private <T> Future<T> onLoop(java.util.function.Supplier<Future<T>> command) {
    Context caller = Vertx.currentContext();
    Future<T> sent;
    if (caller == loop) {
      sent = command.get();
    } else {
      // The answer goes back to the caller's context when it has one, as before.
      Promise<T> answer = Promise.promise();
      loop.runOnContext(v -> command.get().onComplete(ar -> {
        if (caller == null) {
          answer.handle(ar);
        } else {
          caller.runOnContext(x -> answer.handle(ar));
        }
      }));
      sent = answer.future();
    }
    return sent.timeout(timeoutMillis, TimeUnit.MILLISECONDS).onFailure(e -> failures.increment());
  }

  /** Publishes {@code message} on {@code channel}; a failure is counted, never thrown. */
  void publish(String channel, byte[] message) {
    send(Request.cmd(Command.PUBLISH).arg(channel).arg(message));
  }

  /**
   * Subscribes to {@code channels} and hands each message to {@code handler} (channel, payload)
   * on the subscriber's event loop, from now on and after every reconnect. Call once.
   */
  void subscribe(List<String> channels, BiConsumer<String, Buffer> handler) {
    List<String> all = new java.util.ArrayList<>(channels);
    all.add(probeChannel);
    this.channels = List.copyOf(all);
    this.handler = handler;
    connectSubscriber();
  }

  private void connectSubscriber() {
    if (closed) {
      return;
    }
    connectWithin(Math.max(CONNECT_TIMEOUT_MILLIS, timeoutMillis))
        .compose(conn -> {
          conn.handler(this::received); // before SUBSCRIBE, so that no message slips past
          Request subscribe = Request.cmd(Command.SUBSCRIBE);
          channels.forEach(subscribe::arg);
          return conn.send(subscribe).timeout(timeoutMillis, TimeUnit.MILLISECONDS).map(r -> conn);
        })
        .onComplete(ar -> {
          if (ar.succeeded()) {
            listening(ar.result());
          } else {
            failures.increment();
            closeSubscriberClient();
            retryLater("cannot subscribe: " + ar.cause().getMessage());
          }
        });
  }

  /** The subscriber connection holds its subscriptions: the link is up. */
  private void listening(RedisConnection conn) {
    subscriber = conn;
    conn.exceptionHandler(e -> lost(conn, e));
    conn.endHandler(v -> lost(conn, null));
    probeHeardNanos = System.nanoTime();
    pauseMillis = MIN_PAUSE_MILLIS;
    boolean wasUp = up;
    up = true;
    if (!wasUp) {
      log.info("Redis reachable: listening to the cluster on {} channels", channels.size());
    }
    onUp.forEach(task -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.error("a task run on reconnecting to Redis failed: {}", e.toString(), e);
      }
    });
  }

  private void closeSubscriberClient() {
    Redis c = subscriberClient;
    subscriberClient = null;
    if (c != null) {
      c.close();
    }
  }

  /**
   * A subscriber connection, or a failure after {@code millis}. Each attempt uses a client of its
   * own, closed with everything it opened when the attempt fails or the connection is lost: a
   * connection that arrives after we gave up can then never hold a pool's only place.
   */
  private Future<RedisConnection> connectWithin(long millis) {
    Redis attemptClient = Redis.createClient(vertx, subscriberOptions);
    io.vertx.core.Promise<RedisConnection> result = io.vertx.core.Promise.promise();
    long timer = vertx.setTimer(millis, id -> result.tryFail("no connection within " + millis + " ms"));
    attemptClient.connect().onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.failed()) {
        result.tryFail(ar.cause());
      } else {
        result.tryComplete(ar.result());
      }
    });
    return result.future().onSuccess(conn -> subscriberClient = attemptClient).onFailure(e -> attemptClient.close());
  }

  private void received(Response r) {
    // ["message", channel, payload]; replies to SUBSCRIBE ("subscribe", ...) are not messages.
    if ((r.type() == ResponseType.MULTI || r.type() == ResponseType.PUSH) && r.size() == 3
        && "message".equals(r.get(0).toString())) {
      if (probeChannel.equals(r.get(1).toString())) {
        probeHeardNanos = System.nanoTime();
        return;
      }
      handler.accept(r.get(1).toString(), r.get(2).toBuffer());
    }
  }

  /** Publishes the next probe, or, if the last ones never came back, declares the subscriber dead. */
  private void probe() {
    RedisConnection conn = subscriber;
    if (conn == null || closed) {
      return;
    }
    if (System.nanoTime() - probeHeardNanos > probeDeadlineNanos) {
      failures.increment();
      log.warn("Redis: no probe came back for {} ms: the connection is dead without a reset; reconnecting",
          TimeUnit.NANOSECONDS.toMillis(probeDeadlineNanos));
      Redis old = client;
      client = Redis.createClient(vertx, options);
      old.close();
      lost(conn, new java.io.IOException("no probe came back"));
      return;
    }
    publish(probeChannel, PROBE);
  }

  private void lost(RedisConnection conn, Throwable cause) {
    if (subscriber != conn) {
      return; // an old connection's late news
    }
    subscriber = null;
    if (up) {
      up = false;
      log.warn("Redis connection lost ({}): the cluster is degraded; delivery continues from the store",
          cause == null ? "closed" : cause.getMessage());
    }
    closeSubscriberClient();
    retryLater("connection lost");
  }

  private void retryLater(String why) {
    if (closed) {
      return;
    }
    up = false;
    long pause = pauseMillis;
    if (pause == MIN_PAUSE_MILLIS) {
      log.warn("Redis unreachable ({}): the cluster is degraded; trying again", why);
    } else {
      log.debug("Redis: {}; trying again in {} ms", why, pause);
    }
    pauseMillis = Math.min(MAX_PAUSE_MILLIS, pauseMillis * 2);
    vertx.setTimer(pause, id -> connectSubscriber());
  }

  @Override
  public void close() {
    closed = true;
    up = false;
    vertx.cancelTimer(probeTimer);
    subscriber = null;
    closeSubscriberClient();
    client.close();
  }
}
