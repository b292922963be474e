package io.aegis.server.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;

/**
 * A raw WebSocket client for gateway tests, in the style of OkHttp's WebSocketRecorder: it
 * records every text message and the close, and offers assertions that read like the protocol.
 * It knows nothing of the Aegis protocol (see {@link TestAgent} for that), so tests can send
 * exactly the frames they want, broken ones included.
 */
public final class AgentSocket implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Waits.EVENT).build();

  /** How a connection ended. */
  public record Closed(int code, String reason) {}

  /** The gateway refused the upgrade with an HTTP answer. */
  public static final class Refused extends RuntimeException {
    private final int status;
    private final String body;

    Refused(int status, String body) {
      super("upgrade refused: " + status + " " + body);
      this.status = status;
      this.body = body;
    }

    public int status() {
      return status;
    }

    public String body() {
      return body;
    }
  }

  private final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
  private volatile boolean paused;
  private volatile boolean owed;
  private final CompletableFuture<Closed> closed = new CompletableFuture<>();
  private volatile WebSocket ws;

  private AgentSocket() {}

  /** Opens {@code ws(s)://…/ws/agent} with the given upgrade headers; throws {@link Refused} on an HTTP refusal. */
  public static AgentSocket connect(String baseUrl, String path, Map<String, String> headers) {
    return connect(baseUrl, path, headers, null);
  }

  /**
   * As {@link #connect(String, String, Map)}, over TLS trusting what {@code ssl} trusts
   * ({@code null}: the JDK default). Each call with a context opens a new TLS connection.
   */
  public static AgentSocket connect(String baseUrl, String path, Map<String, String> headers, SSLContext ssl) {
    AgentSocket s = new AgentSocket();
    HttpClient client = ssl == null ? HTTP
        : HttpClient.newBuilder().connectTimeout(Waits.EVENT).sslContext(ssl).build();
    WebSocket.Builder b = client.newWebSocketBuilder().connectTimeout(Waits.EVENT);
    headers.forEach(b::header);
    String url = baseUrl.replaceFirst("^http", "ws") + path;
    try {
      s.ws = b.buildAsync(URI.create(url), s.new Recorder()).get(Waits.EVENT.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException h) {
        Object body = h.getResponse().body();
        throw new Refused(h.getResponse().statusCode(), body == null ? "" : body.toString());
      }
      throw new IllegalStateException("cannot connect to " + url, e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("cannot connect to " + url, e);
    }
    return s;
  }

  private final class Recorder implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      demand(webSocket);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      texts.add("<binary>");
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(new Closed(statusCode, reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete(new Closed(1006, String.valueOf(error)));
    }
  }

  private synchronized void demand(WebSocket webSocket) {
    if (paused) {
      owed = true;
    } else {
      webSocket.request(1);
    }
  }

  /**
   * Stops reading from the socket (a stalled agent): the client asks for no more messages, so the
   * gateway's writes back up through TCP into its write queue.
   */
  public synchronized void pause() {
    paused = true;
  }

  /** Reads again after {@link #pause()}. */
  public synchronized void resume() {
    paused = false;
    if (owed) {
      owed = false;
      ws.request(1);
    }
  }

  public void sendText(String text) {
    ws.sendText(text, true).join();
  }

  /**
   * Sends {@code text}, unless the gateway closed the connection before it could be written: in
   * a test that provokes a close, a write that comes after it is an expected outcome, not a
   * failure (the test then asserts the close, e.g. with {@link #awaitClose()}).
   */
  public void sendTextUnlessClosed(String text) {
    try {
      ws.sendText(text, true).join();
    } catch (java.util.concurrent.CompletionException e) {
      if (!(e.getCause() instanceof java.io.IOException)) {
        throw e;
      }
      awaitClose(); // "Output closed", or the connection gone: the close is on its way, or here
    }
  }

  /** Sends one fragment of a text message ({@code last}: the final one). */
  public void sendText(String text, boolean last) {
    ws.sendText(text, last).join();
  }

  public void sendBinary(byte[] bytes) {
    ws.sendBinary(ByteBuffer.wrap(bytes), true).join();
  }

  /** The next text message within {@link Waits#EVENT}; fails if none arrives or the socket closes first. */
  public String nextText() {
    return nextText(Waits.EVENT);
  }

  public String nextText(Duration timeout) {
    try {
      String t = texts.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (t == null) {
        throw new AssertionError("no text message within " + timeout
            + (closed.isDone() ? "; the socket closed: " + closed.join() : ""));
      }
      return t;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Waits for the close and returns it (fails after {@code timeout}). */
  public Closed awaitClose(Duration timeout) {
    try {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("socket still open after " + timeout);
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  public Closed awaitClose() {
    return awaitClose(Waits.EVENT);
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** Messages received and not yet read. */
  public int pending() {
    return texts.size();
  }

  @Override
  public void close() {
    if (ws != null && !closed.isDone()) {
      ws.abort();
    }
  }

  /** Starts the closing handshake with {@code code} (as a well-behaved peer leaving). */
  public void closeWith(int code) {
    ws.sendClose(code, "");
  }
}
