package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.Waits;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The direct write path on this project's Vert.x: present (an upgrade that removes it must be
 * noticed), and a switched socket still delivers every message in order and still reports a full
 * write queue while its client does not read.
 */
class DirectWritesTest {

  @Test
  void thisVertxHasTheInternalsItChanges() {
    assertThat(DirectWrites.available()).isTrue();
  }

  @Test
  void aSwitchedSocketDeliversEverythingInOrderAndPushesBack() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      CompletableFuture<Boolean> switched = new CompletableFuture<>();
      CompletableFuture<Boolean> pushedBack = new CompletableFuture<>();
      // Upgraded the gateway's way: a routed request's toWebSocket(), which Vert.x Web wraps.
      Router router = Router.router(vertx);
      router.route("/ws").handler(ctx -> ctx.request().toWebSocket().onSuccess(ws -> {
        switched.complete(DirectWrites.install(ws));
        ws.textMessageHandler(go -> { // once the client's handlers are in place
          int sent = 0;
          while (!ws.writeQueueFull() && sent < 100_000) {
            ws.writeTextMessage("m" + sent++ + "x".repeat(1000));
          }
          pushedBack.complete(ws.writeQueueFull());
          int total = sent;
          ws.drainHandler(v -> ws.writeTextMessage("end " + total));
        });
      }));
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setStrictThreadMode(true))
          .requestHandler(router);
      int port = server.listen(0, "127.0.0.1").await(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).actualPort();

      List<String> received = new CopyOnWriteArrayList<>();
      CompletableFuture<String> end = new CompletableFuture<>();
      WebSocketClient client = vertx.createWebSocketClient();
      var socket = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws"))
          .await(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      socket.pause(); // not read until the server has filled its side
      socket.textMessageHandler(m -> {
        if (m.startsWith("end ")) {
          end.complete(m);
        } else {
          received.add(m.substring(0, m.indexOf('x')));
        }
      });
      socket.writeTextMessage("go");
      assertThat(switched.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(pushedBack.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS))
          .as("the socket reports a full queue while its client does not read").isTrue();
      socket.resume();

      int total = Integer.parseInt(end.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).substring(4));
      assertThat(total).isGreaterThan(10);
      assertThat(received).hasSize(total);
      for (int i = 0; i < total; i++) {
        assertThat(received.get(i)).isEqualTo("m" + i);
      }
    } finally {
      vertx.close().await(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    }
  }
}
