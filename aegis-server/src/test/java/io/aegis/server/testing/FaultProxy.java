package io.aegis.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy that tests put on a link (node → PostgreSQL, node → Redis, client → node) to break
 * it the ways real networks do:
 * <ul>
 *   <li>{@link Mode#PASS}: bytes flow both ways;</li>
 *   <li>{@link Mode#RESET}: every open connection is reset now and new ones are refused (a
 *       process that died, a firewall that rejects);</li>
 *   <li>{@link Mode#BLACKHOLE}: new connections are accepted and hang, open ones carry nothing;
 *       on the next {@link #mode} change they are reset (a partition that a stateful firewall ends
 *       with resets when it heals);</li>
 *   <li>{@link Mode#SILENT}: like BLACKHOLE, but connections that saw it are never reset: they stay
 *       open and dead forever (a silent partition: a NAT or balancer that forgot the flow).</li>
 * </ul>
 * Thread per direction per connection: tests use a handful of connections.
 */
public final class FaultProxy implements AutoCloseable {
  public enum Mode { PASS, RESET, BLACKHOLE, SILENT }

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile Mode mode = Mode.PASS;
  private volatile boolean closed;

  /** A proxy on an ephemeral loopback port in front of {@code host:port}. */
  public FaultProxy(String host, int port) {
    try {
      server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    target = new InetSocketAddress(host, port);
    Thread.ofPlatform().daemon().name("fault-proxy-" + port()).start(this::accept);
  }

  public int port() {
    return server.getLocalPort();
  }

  public Mode mode() {
    return mode;
  }

  /**
   * Switches the link's behaviour. Connections that were held in BLACKHOLE are reset when it ends;
   * those that saw SILENT stay dead (their peers must find out by themselves).
   */
  public synchronized void mode(Mode next) {
    Mode previous = mode;
    mode = next;
    if (next == Mode.RESET || previous == Mode.BLACKHOLE) {
      links.forEach(Link::reset);
    } else if (next == Mode.SILENT || next == Mode.BLACKHOLE) {
      links.forEach(l -> l.frozen = true);
    }
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      Mode now = mode;
      if (now == Mode.RESET) {
        resetQuietly(client);
        continue;
      }
      Link link = new Link(client);
      links.add(link);
      if (now != Mode.PASS) {
        link.frozen = true; // accepted, then nothing: the connection hangs
        continue;
      }
      Thread.ofPlatform().daemon().start(link::open);
    }
  }

  /** One proxied connection. Once frozen it carries nothing, ever. */
  private final class Link {
    final Socket client;
    volatile Socket upstream;
    volatile boolean frozen;

    Link(Socket client) {
      this.client = client;
    }

    void open() {
      try {
        Socket up = new Socket();
        up.connect(target, 5000);
        up.setTcpNoDelay(true);
        client.setTcpNoDelay(true);
        upstream = up;
        if (frozen) {
          return;
        }
        Thread.ofPlatform().daemon().start(() -> pump(client, up));
        pump(up, client);
      } catch (IOException e) {
        reset();
      }
    }

    private void pump(Socket from, Socket to) {
      byte[] buf = new byte[16 * 1024];
      try {
        // Not closed when done: closing a socket's stream closes the socket, and a frozen link
        // must stay open and silent.
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (frozen) {
            return; // the bytes are lost, and so is everything after them
          }
          out.write(buf, 0, n);
          out.flush();
        }
        if (!frozen) {
          to.shutdownOutput();
        }
      } catch (IOException e) {
        if (!frozen) {
          reset();
        }
      }
    }

    void reset() {
      links.remove(this);
      resetQuietly(client);
      Socket up = upstream;
      if (up != null) {
        resetQuietly(up);
      }
    }
  }

  private static void resetQuietly(Socket s) {
    try {
      s.setSoLinger(true, 0); // close with RST, not FIN
    } catch (SocketException ignored) {
      // already closed
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    links.forEach(Link::reset);
  }
}
