package io.aegis.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * A WebSocket client on a bare TCP socket (plain {@code ws://} only), for what the JDK client
 * will not do: it never answers pings (the JDK client answers them by itself), and it can send
 * any frame. Client frames are masked as RFC 6455 requires; frames from the server are read
 * unmasked. Not thread-safe: one test thread drives it.
 */
public final class RawWebSocket implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Opcodes of RFC 6455 §5.2. */
  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;

  /** One frame from the server. */
  public record Frame(int opcode, boolean fin, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** The close code of a close frame (1005 if it has none). */
    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private int pingsIgnored;

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Upgrades {@code http://host:port} + {@code path} with {@code headers}; fails unless the answer is 101. */
  public static RawWebSocket connect(String baseUrl, String path, Map<String, String> headers) {
    URI uri = URI.create(baseUrl);
    try {
      Socket s = new Socket();
      s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
      s.setTcpNoDelay(true);
      RawWebSocket ws = new RawWebSocket(s);
      byte[] key = new byte[16];
      RANDOM.nextBytes(key);
      StringBuilder req = new StringBuilder()
          .append("GET ").append(path).append(" HTTP/1.1\r\n")
          .append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n")
          .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
          .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(key)).append("\r\n")
          .append("Sec-WebSocket-Version: 13\r\n");
      headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
      req.append("\r\n");
      ws.out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      ws.out.flush();
      s.setSoTimeout((int) Waits.EVENT.toMillis());
      String status = ws.readHeaders();
      if (!status.startsWith("HTTP/1.1 101")) {
        s.close();
        throw new IllegalStateException("upgrade refused: " + status);
      }
      return ws;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the response head up to the blank line; returns its status line. */
  private String readHeaders() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the upgrade");
      }
      head.write(b);
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    return text.substring(0, text.indexOf("\r\n"));
  }

  public void sendText(String text) {
    sendFrame(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends one masked frame. */
  public void sendFrame(int opcode, boolean fin, byte[] payload) {
    sendFrame(opcode, fin, 0, payload);
  }

  /** Sends one masked frame with reserved bits {@code rsv} (0 to 7: RSV1 is 4, RSV2 2, RSV3 1) set. */
  public void sendFrame(int opcode, boolean fin, int rsv, byte[] payload) {
    try {
      ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
      f.write((fin ? 0x80 : 0) | (rsv & 7) << 4 | opcode);
      if (payload.length < 126) {
        f.write(0x80 | payload.length);
      } else if (payload.length < 65536) {
        f.write(0x80 | 126);
        f.write(payload.length >>> 8);
        f.write(payload.length);
      } else {
        f.write(0x80 | 127);
        for (int i = 7; i >= 0; i--) {
          f.write((int) ((long) payload.length >>> (8 * i)));
        }
      }
      byte[] mask = new byte[4];
      RANDOM.nextBytes(mask);
      f.write(mask);
      for (int i = 0; i < payload.length; i++) {
        f.write(payload[i] ^ mask[i & 3]);
      }
      out.write(f.toByteArray());
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next frame within {@code timeout}, or null if none came; pings are counted and never answered. */
  public Frame nextFrame(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
        Frame f = readFrame();
        if (f.opcode() == PING) {
          pingsIgnored++;
          continue;
        }
        return f;
      }
    } catch (SocketTimeoutException e) {
      return null;
    } catch (EOFException e) {
      return new Frame(CLOSE, true, new byte[] {(byte) (1006 >> 8), (byte) (1006 & 0xff)});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next text message (unfragmented) within {@link Waits#EVENT}. */
  public String nextText() {
    Frame f = nextFrame(Waits.EVENT);
    if (f == null || f.opcode() != TEXT) {
      throw new AssertionError("expected a text frame, got " + (f == null ? "nothing" : "opcode " + f.opcode()
          + (f.opcode() == CLOSE ? " code " + f.closeCode() : "")));
    }
    return f.text();
  }

  /** Reads until a close frame (or the end of the stream: 1006) within {@code timeout}; returns its code. */
  public int awaitClose(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Frame f = nextFrame(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
      if (f != null && f.opcode() == CLOSE) {
        return f.closeCode();
      }
    }
    throw new AssertionError("no close within " + timeout);
  }

  /** Pings received and deliberately not answered. */
  public int pingsIgnored() {
    return pingsIgnored;
  }

  private Frame readFrame() throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7f;
    if (len == 126) {
      len = in.readUnsignedShort();
    } else if (len == 127) {
      len = in.readLong();
    }
    byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : null;
    byte[] payload = in.readNBytes((int) len);
    if (payload.length != len) {
      throw new EOFException();
    }
    if (mask != null) {
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i & 3];
      }
    }
    return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, payload);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a test socket
    }
  }
}
