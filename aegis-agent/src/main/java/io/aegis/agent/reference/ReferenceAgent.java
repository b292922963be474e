package io.aegis.agent.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.agent.AgentClient;
import io.aegis.agent.AgentClientBuilder;
import io.aegis.agent.AgentMessage;
import io.aegis.agent.Listener;
import io.aegis.agent.RejectedMessage;
import io.aegis.agent.SessionInfo;
import io.aegis.agent.StopReason;
import io.aegis.agent.Transport;
import io.aegis.protocol.CloseCode;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.handshake.HandshakeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The reference agent ({@code bin/aegis agent}): connects, prints every message it receives as
 * one JSON line on standard output, acknowledges it, and sends each line of standard input as a
 * message (grammar in {@link InputLine}). Connection state changes and failures go to standard
 * error, one line each, prefixed {@code aegis-agent:}.
 *
 * <pre>
 * {"id":"m-1","type":"request","channel":"commands","headers":{},"body":{"run":"scan"},"received_at":"2025-05-01T12:00:00.123Z"}
 * </pre>
 *
 * <p>Responses to this agent's own requests ({@code policy:request {}}) are printed the same way.
 * Requests from the backend are remembered (the last 1000) so that {@code :reply ID JSON} can
 * answer them.
 *
 * <p>Exit status of {@link #run}: 0 after {@link #close()} (or the end of input with
 * {@code exitOnEof}, once what was sent is acknowledged), 1 at the end of input with
 * {@code exitOnEof} when the session never opened, was not open at the end, or something sent
 * was not acknowledged (the reason is printed in words), 3 if the agent was revoked, 4 if another
 * instance replaced it.
 *
 * <p>Thread-safe: output lines are written whole, one at a time.
 */
public final class ReferenceAgent implements AutoCloseable {

  /** Exit status at the end of input when the session never opened or failed, or something sent was lost. */
  public static final int EXIT_FAILED = 1;
  /** Exit status when the gateway revoked the agent. */
  public static final int EXIT_REVOKED = 3;
  /** Exit status when another instance of the agent replaced this one. */
  public static final int EXIT_REPLACED = 4;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final int REMEMBERED_REQUESTS = 1000;

  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock;
  private final AgentClient client;
  private final List<CompletableFuture<?>> inFlight = new ArrayList<>();
  /** Completes when a session opens, or a failure occurs that reconnecting will not fix. */
  private final CompletableFuture<Void> outcome = new CompletableFuture<>();
  private volatile boolean opened;
  private volatile SessionProblem problem;
  private volatile HandshakeException handshakeError;
  private volatile Integer eofStatus;
  private volatile boolean exitOnEof;
  private volatile Duration openTimeout = Duration.ofSeconds(30);
  private final Map<String, AgentMessage> requests = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, AgentMessage> eldest) {
      return size() > REMEMBERED_REQUESTS;
    }
  };

  /**
   * Builds the agent around {@code builder} (its default handler and listener are set here).
   *
   * @param out where received messages go, one JSON line each
   * @param err where state changes and failures go
   */
  public ReferenceAgent(AgentClientBuilder builder, PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
    this.clock = Clock.systemUTC();
    this.client = builder.defaultHandler(this::received).listener(new StateReporter()).build();
  }

  /**
   * How long, at the end of input with {@code exitOnEof}, to wait for a session that has not
   * opened yet (default 30 s); a failure that reconnecting cannot fix ends the wait at once.
   */
  public ReferenceAgent openTimeout(Duration timeout) {
    this.openTimeout = timeout;
    return this;
  }

  /** The client, for tests and embedding. */
  public AgentClient client() {
    return client;
  }

  /** Connects and subscribes to {@code channels} (if any). */
  public void start(List<String> channels) {
    client.start();
    if (!channels.isEmpty()) {
      track(client.subscribe(channels.toArray(String[]::new)), "subscribe " + String.join(",", channels));
    }
  }

  /**
   * Runs until the client stops: reads {@code in} line by line and acts on each line. At the end
   * of input the agent keeps running (it still receives messages) unless {@code exitOnEof}; then
   * it waits for the session to open (up to {@link #openTimeout}, unless a failure that
   * reconnecting cannot fix comes first), up to 30 s for the gateway to acknowledge what was sent,
   * and closes.
   *
   * @return the exit status
   */
  public int run(BufferedReader in, boolean exitOnEof) throws InterruptedException {
    this.exitOnEof = exitOnEof;
    Thread reader = Thread.ofPlatform().daemon().name("aegis-agent-stdin").start(() -> {
      try {
        String line;
        int n = 0;
        while ((line = in.readLine()) != null) {
          handleLine(++n, line);
        }
      } catch (IOException e) {
        say("reading standard input failed: " + e.getMessage());
      }
      if (exitOnEof) {
        eofStatus = finish();
        client.close();
      }
    });
    StopReason reason;
    try {
      reason = client.stopped().get();
    } catch (ExecutionException e) {
      reason = StopReason.CLOSED;
    }
    reader.interrupt();
    return switch (reason) {
      case REVOKED -> EXIT_REVOKED;
      case REPLACED -> EXIT_REPLACED;
      case CLOSED -> eofStatus != null ? eofStatus : 0;
    };
  }

  /**
   * At the end of input: waits for the session to open (unless it cannot) and for what was sent
   * to be acknowledged, and says in words what went wrong if anything did.
   */
  private int finish() {
    try {
      outcome.get(openTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return EXIT_FAILED;
    } catch (ExecutionException | TimeoutException e) {
      // not open yet: said below
    }
    if (!opened) {
      SessionProblem p = problem;
      say("the session never opened: " + (p != null ? p.words()
          : "no session within " + openTimeout.toSeconds() + " s (is the gateway reachable at this URL?)"));
      return EXIT_FAILED;
    }
    int lost = awaitSent(Duration.ofSeconds(30));
    SessionProblem p = problem;
    if (client.state() != AgentClient.State.CONNECTED && p != null) {
      say("the session ended in an error: " + p.words());
      return EXIT_FAILED;
    }
    if (lost > 0) {
      say(lost + " of the messages sent " + (lost == 1 ? "was" : "were") + " not acknowledged by the gateway");
      return EXIT_FAILED;
    }
    return 0;
  }

  /** Acts on one line of input; a malformed line is reported on standard error and skipped. */
  public void handleLine(int number, String line) {
    InputLine parsed;
    try {
      parsed = InputLine.parse(line, clock.millis());
    } catch (IllegalArgumentException e) {
      say("line " + number + ": " + e.getMessage());
      return;
    }
    switch (parsed.kind()) {
      case NOTHING -> { }
      case REPLY -> reply(number, parsed);
      case SEND -> send(number, parsed);
    }
  }

  private void send(int number, InputLine line) {
    try {
      if (line.type().equals(MessageTypes.REQUEST)) {
        CompletableFuture<AgentMessage> f = client.request(line.channel(), line.body(), REQUEST_TIMEOUT);
        track(f.thenAccept(this::print), "line " + number);
      } else {
        track(client.send(line.channel(), line.type(), line.body()), "line " + number);
      }
    } catch (IllegalArgumentException e) {
      say("line " + number + ": " + e.getMessage());
    }
  }

  private void reply(int number, InputLine line) {
    AgentMessage request;
    synchronized (requests) {
      request = requests.remove(line.messageId());
    }
    if (request == null) {
      say("line " + number + ": no unanswered request " + line.messageId());
      return;
    }
    try {
      track(request.reply(line.body()), "line " + number);
    } catch (IllegalStateException e) {
      say("line " + number + ": " + e.getMessage());
    }
  }

  private void track(CompletableFuture<?> f, String what) {
    synchronized (inFlight) {
      inFlight.removeIf(CompletableFuture::isDone);
      inFlight.add(f);
    }
    f.whenComplete((v, e) -> {
      if (e != null) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null
            ? e.getCause() : e;
        say(what + ": not sent: " + cause.getMessage());
      }
    });
  }

  /** Waits up to {@code timeout} for what was sent; returns how many were not acknowledged. */
  private int awaitSent(Duration timeout) {
    CompletableFuture<?>[] all;
    synchronized (inFlight) {
      all = inFlight.toArray(CompletableFuture[]::new);
    }
    try {
      CompletableFuture.allOf(all).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // reported per message
    }
    int lost = 0;
    for (CompletableFuture<?> f : all) {
      if (!f.isDone() || f.isCompletedExceptionally()) {
        lost++;
      }
    }
    return lost;
  }

  private void received(AgentMessage m) {
    if (m.isRequest()) {
      synchronized (requests) {
        requests.put(m.id(), m);
      }
    }
    print(m);
  }

  private void print(AgentMessage m) {
    String line = messageLine(m);
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  /** The JSON line of a received message: {@code {"id","type","channel","headers","body","received_at"}}. */
  static String messageLine(AgentMessage m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", m.id());
    o.put("type", m.type());
    o.put("channel", m.channel());
    ObjectNode h = o.putObject("headers");
    m.headers().forEach(h::put);
    JsonNode body;
    try {
      body = m.json();
    } catch (UncheckedIOException e) {
      body = JSON.getNodeFactory().textNode(m.bodyText());
    }
    o.set("body", body);
    o.put("received_at", m.receivedAt().toString());
    return o.toString();
  }

  private void say(String line) {
    synchronized (err) {
      err.println("aegis-agent: " + line);
      err.flush();
    }
  }

  /** Closes the client (waits briefly for pending acknowledgements). */
  @Override
  public void close() {
    client.close();
  }

  /** Reports connection state changes on standard error. */
  private final class StateReporter implements Listener {
    @Override
    public void connected(SessionInfo s) {
      opened = true;
      problem = null;
      outcome.complete(null);
      say("connected" + (s.transport() == Transport.HTTP_POLLING ? " (HTTP polling)" : "") + ": session "
          + s.sessionId() + ", expires " + s.expiresAt() + ", backend key " + s.backendKeyId());
    }

    @Override
    public void transportChanged(Transport t) {
      say(t == Transport.HTTP_POLLING ? "the WebSocket keeps failing; falling back to HTTP polling"
          : "back on the WebSocket; HTTP polling stopped");
    }

    @Override
    public void disconnected(int code, String reason) {
      say("disconnected: " + code + (reason == null || reason.isEmpty() ? "" : " " + reason));
      if (code == 1000) {
        return; // closed by this side
      }
      SessionProblem p = SessionProblem.of(code, reason, handshakeError);
      handshakeError = null;
      problem = p;
      if (p.lasting()) {
        if (!exitOnEof) {
          say(p.words()); // with exitOnEof, the end of input says it
        }
        outcome.complete(null);
      }
    }

    @Override
    public void reconnecting(Duration delay, CloseCode.Reaction reaction) {
      say("reconnecting in " + delay.toMillis() + " ms (" + reaction.name().toLowerCase(Locale.ROOT) + ")");
    }

    @Override
    public void stopped(StopReason reason) {
      say("stopped: " + reason.name().toLowerCase(Locale.ROOT) + switch (reason) {
        case REVOKED -> " (the agent was revoked; an operator must reactivate it)";
        case REPLACED -> " (another instance of this agent connected)";
        case CLOSED -> "";
      });
    }

    @Override
    public void rejectedMessage(RejectedMessage m) {
      say("refused " + m.type() + " " + m.id() + " on " + m.channel() + ": " + m.reason());
    }

    @Override
    public void backendKeyAnnounced(IdentityPublicKey key) {
      say("backend announced its next key " + key.base64() + " (id " + key.keyIdHex() + "); pins now "
          + pins() + " (give them in this order as --backend-key)");
    }

    @Override
    public void backendKeyPromoted(IdentityPublicKey key) {
      say("backend signed with the second pin " + key.base64() + " (id " + key.keyIdHex() + "); pins now "
          + pins() + " (give them in this order as --backend-key)");
    }

    private String pins() {
      var p = client.pinnedBackendKeys();
      return p.current().base64() + (p.next() == null ? "" : ", " + p.next().base64());
    }

    @Override
    public void error(Throwable e) {
      if (e instanceof HandshakeException h) {
        handshakeError = h; // disconnected() follows and says what it means
      }
      say("error: " + e.getMessage());
    }
  }
}
