package io.aegis.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.server.testing.FaultProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node's line to a real Redis: it subscribes, hears what is published, and says when it is up. */
class RedisLinkTest {
  private Vertx vertx;
  private RedisLink a;
  private RedisLink b;

  @BeforeEach
  void start() {
    TestRedis.require();
    vertx = Vertx.vertx();
    a = new RedisLink(vertx, TestRedis.url(), Duration.ofSeconds(5), new SimpleMeterRegistry());
    b = new RedisLink(vertx, TestRedis.url(), Duration.ofSeconds(5), new SimpleMeterRegistry());
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    vertx.close();
  }

  @Test
  void aMessagePublishedByOneLinkIsHeardByAnotherSubscribedOne() throws Exception {
    String channel = "aegis:test:" + System.nanoTime();
    LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
    b.subscribe(List.of(channel), (c, m) -> heard.add(c + "=" + m.toString()));
    await().atMost(Duration.ofSeconds(30)).until(b::isUp);
    a.publish(channel, "hello".getBytes());
    assertThat(heard.poll(30, TimeUnit.SECONDS)).isEqualTo(channel + "=hello");
  }

  @Test
  void aSilentlyDeadConnectionIsFoundAndReplacedWithoutAnyReset() throws Exception {
    java.net.URI redis = java.net.URI.create(TestRedis.url());
    String channel = "aegis:test:" + System.nanoTime();
    try (FaultProxy proxy = new FaultProxy(redis.getHost(), redis.getPort() < 0 ? 6379 : redis.getPort())) {
      RedisLink behind = new RedisLink(vertx, "redis://" + redis.getHost() + ":" + proxy.port()
          + (redis.getPath() == null ? "" : redis.getPath()), Duration.ofMillis(500), new SimpleMeterRegistry());
      try {
        LinkedBlockingQueue<String> heard = new LinkedBlockingQueue<>();
        behind.subscribe(List.of(channel), (c, m) -> heard.add(m.toString()));
        await().atMost(Duration.ofSeconds(30)).until(behind::isUp);

        // Packets vanish and nobody resets anything: only the link's own probe can tell.
        proxy.mode(FaultProxy.Mode.SILENT);
        await().atMost(Duration.ofSeconds(30)).until(() -> !behind.isUp());

        proxy.mode(FaultProxy.Mode.PASS);
        await().atMost(Duration.ofSeconds(30)).until(behind::isUp);
        a.publish(channel, "after".getBytes());
        assertThat(heard.poll(30, TimeUnit.SECONDS)).isEqualTo("after");
        // Commands work again too: the client whose pooled connections died was replaced.
        assertThat(behind.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.PING))
            .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).toString()).isEqualTo("PONG");
      } finally {
        behind.close();
      }
    }
  }
}
