package io.aegis.bench.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every answer reaches the caller, whichever thread asks: the race this guards against (a
 * response's end delivered on another event loop before its body was asked for) lost about one
 * answer in twenty when each request came from a thread outside Vert.x.
 */
class GatewayClientTest {
  Vertx vertx;
  Vertx clientVertx;
  HttpServer server;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    // Head, body and end in one write, as the gateway answers a 401.
    server = vertx.createHttpServer().requestHandler(req -> {
          if (req.path().equals("/metrics")) {
            req.response().end("x".repeat(40_000));
          } else {
            req.response().setStatusCode(401).putHeader("Content-Type", "application/json")
                .end("{\"error\":{\"code\":\"unauthorized\",\"message\":\"no\"}}");
          }
        })
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    clientVertx.close().await();
    vertx.close().await();
  }

  @Test
  void everyAnswerArrivesWhenRequestsComeFromOutsideVertx() {
    for (int i = 0; i < 1000; i++) {
      // A new client each time, as each bench run makes: its first request opens the connection
      // (on one event loop), the second reuses it from another context.
      try (GatewayClient api = new GatewayClient(clientVertx, URI.create("http://127.0.0.1:" + server.actualPort()), "t", 4)) {
        assertThat(GatewayClient.await(api.get("/metrics"), 30, "metrics " + i).status()).isEqualTo(200);
        GatewayClient.Response r = GatewayClient.await(api.get("/api/v1/agents?limit=1"), 30, "request " + i);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("unauthorized");
      }
    }
  }

  @Test
  void anAnswerComesBackOnTheCallersContext() throws Exception {
    try (GatewayClient api = new GatewayClient(vertx, URI.create("http://127.0.0.1:" + server.actualPort()), "t", 1)) {
      io.vertx.core.Context caller = vertx.getOrCreateContext();
      java.util.concurrent.CompletableFuture<io.vertx.core.Context> seen = new java.util.concurrent.CompletableFuture<>();
      caller.runOnContext(v -> api.get("/").onComplete(ar -> seen.complete(Vertx.currentContext())));
      assertThat(seen.get(30, TimeUnit.SECONDS)).isSameAs(caller);
    }
  }
}
