package io.aegis.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
}
