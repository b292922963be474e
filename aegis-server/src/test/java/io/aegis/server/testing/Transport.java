package io.aegis.server.testing;

import io.aegis.protocol.http.AgentPoll;
import io.aegis.protocol.record.OpenedRecord;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * How a test agent talks to the gateway: "same scenario, every transport". Run a scenario with
 * {@code @MethodSource} over {@link StoreKind} × {@code Transport} and connect with
 * {@link #connect(TestAgent)}.
 */
public enum Transport {
  /** A WebSocket session ({@link TestAgent.Session}). */
  WEBSOCKET {
    @Override
    public AgentConnection connect(TestAgent agent) {
      TestAgent.Session s = agent.connect();
      return new AgentConnection() {
        @Override
        public OpenedRecord nextNonAck() {
          return s.nextNonAck();
        }

        @Override
        public void ack(String... messageIds) {
          s.ack(messageIds);
        }

        @Override
        public void sendSigned(String id, String type, String channel, Map<String, String> headers, String body) {
          s.sendSigned(id, type, channel, headers, body);
        }

        @Override
        public void expectNothing(Duration d) {
          s.expectNothing(d);
        }

        @Override
        public void close() {
          s.close();
        }
      };
    }
  },

  /**
   * HTTP polling ({@link PollingClient}), as an SDK falls back to it: one long poll always
   * outstanding in the background, whose records queue up for {@link AgentConnection#nextNonAck};
   * acks and agent messages go out as sealed posts, and the records of their answers queue up too.
   */
  HTTP_POLLING {
    @Override
    public AgentConnection connect(TestAgent agent) {
      return new Poller(PollingClient.connect(agent));
    }
  };

  /** Connects {@code agent} (registered) over this transport. */
  public abstract AgentConnection connect(TestAgent agent);

  /** The background long poll of {@link #HTTP_POLLING}. */
  private static final class Poller implements AgentConnection {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration WAIT = Duration.ofSeconds(2);

    private final PollingClient client;
    private final BlockingQueue<OpenedRecord> received = new LinkedBlockingQueue<>();
    private final Thread loop;
    private volatile boolean closed;
    private volatile CompletableFuture<ApiClient.Response> inFlight;
    private volatile String failure;

    Poller(PollingClient client) {
      this.client = client;
      // The first poll is synchronous: the agent is reachable before connect returns.
      received.addAll(client.poll(Duration.ZERO));
      this.loop = Thread.ofVirtual().name("poller-" + client.agentId()).start(this::run);
    }

    private void run() {
      while (!closed) {
        AgentPoll poll = client.session().newPoll(RANDOM);
        try {
          inFlight = client.api().sendAsync("GET", client.pollPath(WAIT, 100), null, client.pollHeaders(poll));
          if (closed) {
            inFlight.cancel(true);
            return;
          }
          ApiClient.Response r = inFlight.get(WAIT.toMillis() + 30_000, TimeUnit.MILLISECONDS);
          if (r.status() != 200) {
            failure = "poll answered " + r;
            Thread.sleep(200);
            continue;
          }
          received.addAll(PollingClient.open(poll, r));
        } catch (CancellationException | InterruptedException e) {
          return;
        } catch (Exception | AssertionError e) {
          if (!closed) {
            failure = "poll failed: " + e;
          }
        }
      }
    }

    @Override
    public OpenedRecord nextNonAck() {
      long deadline = System.nanoTime() + Waits.EVENT.toNanos();
      while (true) {
        OpenedRecord r;
        try {
          r = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
        if (r == null) {
          throw new AssertionError("no record within " + Waits.EVENT + (failure == null ? "" : "; " + failure));
        }
        if (!r.type().equals("ack")) {
          return r;
        }
      }
    }

    @Override
    public void ack(String... messageIds) {
      received.addAll(client.ack(messageIds));
    }

    @Override
    public void sendSigned(String id, String type, String channel, Map<String, String> headers, String body) {
      received.addAll(client.sendSigned(id, type, channel, headers, body));
    }

    @Override
    public void expectNothing(Duration d) {
      try {
        long deadline = System.nanoTime() + d.toNanos();
        OpenedRecord r;
        while ((r = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null) {
          if (!r.type().equals("ack")) {
            throw new AssertionError("expected nothing, got " + r);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    @Override
    public void close() {
      closed = true;
      CompletableFuture<ApiClient.Response> f = inFlight;
      if (f != null) {
        f.cancel(true);
      }
      loop.interrupt();
      try {
        loop.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      client.close();
    }
  }
}
