package io.aegis.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.InvalidKeyException;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.record.CommandVerifier;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.SignedBlock;
import io.aegis.protocol.record.VerificationResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the client does with each record the gateway sends, once the record layer opened it.
 *
 * <table>
 * <caption>Routing</caption>
 * <tr><th>record</th><th>action</th></tr>
 * <tr><td>{@code ack} on {@code control}</td><td>completes the send futures of {@code ids}</td></tr>
 * <tr><td>{@code error} on {@code control}</td><td>fails the send named by {@code in-reply-to}</td></tr>
 * <tr><td>{@code backend_key} on {@code control}</td><td>verified; the announced key becomes the first pin
 *     and the previous first pin the second (PROTOCOL.md §10.3); reported</td></tr>
 * <tr><td>{@code response} with {@code in-reply-to} naming a message this agent sent</td>
 *     <td>completes that request (a signed one, which came through the durable queue, is
 *     verified and acknowledged too); an unsigned one for a request already settled is dropped</td></tr>
 * <tr><td>anything else off {@code control}</td><td>a delivered message: verified, de-duplicated,
 *     handed to its handler, acknowledged</td></tr>
 * </table>
 *
 * <p><b>Delivered messages.</b> {@link CommandVerifier} checks signer, signature, audience, expiry
 * and its seen-set; {@link DeliveredIds} adds a record that survives key announcements (which
 * replace the verifier) and, with a file, restarts. A replay or a known id is acknowledged again
 * without calling a handler; a refused message is acknowledged as rejected with its reason and
 * reported. The acknowledgement of a delivered message is sent when its handler returns, unless
 * the handler answered it ({@code response} acknowledges a request).
 *
 * <p><b>Backlog.</b> While {@code maxPendingDeliveries} messages wait for or run in handlers,
 * reading from the socket is paused; it resumes below half of that.
 *
 * <p>Every method runs on the I/O thread except the handler task, which runs on the handler
 * lanes and reports back to the I/O thread.
 */
final class Inbound {

  private static final Logger log = LoggerFactory.getLogger(Inbound.class);

  /** The reason a message on a channel with no handler (and no default handler) is refused with. */
  static final String NO_HANDLER = "no_handler";

  /** Pauses and resumes reading from the current connection. */
  interface Backpressure {
    void pause();

    void resume();
  }

  /** Runs a task on the I/O thread (dropped once the client has stopped). */
  interface IoThread {
    void execute(Runnable task);
  }

  private final AgentConfig config;
  private final Outbox outbox;
  private final AckBatcher acks;
  private final DeliveredIds delivered;
  private final HandlerLanes lanes;
  private final Callbacks callbacks;
  private final Replier replier;
  private final Backpressure backpressure;
  private final IoThread io;
  private volatile PinnedBackendKeys pins;
  private CommandVerifier verifier;
  private int pendingDeliveries;

  Inbound(AgentConfig config, Outbox outbox, AckBatcher acks, DeliveredIds delivered, HandlerLanes lanes,
          Callbacks callbacks, Replier replier, Backpressure backpressure, IoThread io) {
    this.config = config;
    this.outbox = outbox;
    this.acks = acks;
    this.delivered = delivered;
    this.lanes = lanes;
    this.callbacks = callbacks;
    this.replier = replier;
    this.backpressure = backpressure;
    this.io = io;
    this.pins = config.backendKeys();
    this.verifier = newVerifier(pins);
  }

  private CommandVerifier newVerifier(PinnedBackendKeys keys) {
    return new CommandVerifier(config.agentId(), keys, config.clock(), CommandVerifier.DEFAULT_CAPACITY);
  }

  /**
   * The backend keys pinned now, in order: the first is asked for in {@code client_hello}, the
   * second is accepted too. Any thread.
   */
  PinnedBackendKeys pins() {
    return pins;
  }

  /**
   * A WebSocket session was established, its handshake signed by {@code signer} (one of the
   * pins). If that is the second pin, the gateway no longer holds the first (it signs with the
   * key asked for whenever it holds it): the pins swap, so that later handshakes ask for the key
   * the gateway has (PROTOCOL.md §10.3). Both keys stay pinned.
   */
  void sessionSignedBy(IdentityPublicKey signer) {
    PinnedBackendKeys now = pins;
    if (now.next() != null && signer.equals(now.next())) {
      // Same two keys, so the verifier (and its seen-set) stays.
      pins = PinnedBackendKeys.of(signer, now.current());
      log.info("agent {}: the gateway signed with the second pinned key {}; it is now the first pin (asked for in "
          + "client_hello), {} the second", config.agentId(), signer.keyIdHex(), now.current().keyIdHex());
      callbacks.backendKeyPromoted(signer);
    }
  }

  /** True while handlers are {@code maxPendingDeliveries} messages behind. */
  boolean backlogged() {
    return pendingDeliveries >= config.maxPendingDeliveries();
  }

  void onRecord(OpenedRecord r) {
    if (r.keyUpdate()) {
      return; // applied by the record layer; Connection answers a request for ours
    }
    if (Protocol.CONTROL_CHANNEL.equals(r.channel())) {
      control(r);
      return;
    }
    if (MessageTypes.RESPONSE.equals(r.type())) {
      String to = r.headers().get(AgentMessage.IN_REPLY_TO);
      OutgoingMessage request = to == null ? null : outbox.inFlight(to);
      if (request != null) {
        answer(request, r);
        return;
      }
      if (to != null && !r.isSigned()) {
        // The gateway's own answers are unsigned and not queued: one for a request that
        // already timed out has no one to go to.
        log.debug("agent {}: answer to {} arrived after the request was settled; dropped", config.agentId(), to);
        return;
      }
    }
    deliver(r);
  }

  // ------------------------------------------------------------------ control channel

  private void control(OpenedRecord r) {
    switch (r.type()) {
      case MessageTypes.ACK -> {
        JsonNode ids = body(r).path("ids");
        for (JsonNode id : ids) {
          acked(id.asText());
        }
      }
      case MessageTypes.ERROR -> {
        JsonNode b = body(r);
        String to = r.headers().get(AgentMessage.IN_REPLY_TO);
        if (to == null) {
          log.warn("agent {}: gateway error without in-reply-to: {} {}", config.agentId(), b.path("code").asText(),
              b.path("message").asText());
          callbacks.error(new AgentException("gateway reported an error: " + b.path("code").asText("error") + ": "
              + b.path("message").asText("")));
          return;
        }
        refused(to, b.path("code").asText("error"), b.path("message").asText(""));
      }
      case MessageTypes.BACKEND_KEY -> backendKey(r);
      default -> log.debug("agent {}: ignoring control record of type {}", config.agentId(), r.type());
    }
  }

  private static JsonNode body(OpenedRecord r) {
    try {
      return Json.MAPPER.readTree(r.body());
    } catch (IOException e) {
      return Json.object();
    }
  }

  private void acked(String id) {
    OutgoingMessage m = outbox.inFlight(id);
    if (m == null) {
      log.debug("agent {}: ack for unknown or settled message {}", config.agentId(), id);
      return;
    }
    if (m.awaitsResponse()) {
      return; // the response settles a request
    }
    settle(m);
    callbacks.complete(m.acked, null);
  }

  private void refused(String id, String code, String message) {
    OutgoingMessage m = outbox.inFlight(id);
    if (m == null) {
      log.debug("agent {}: error for unknown or settled message {}: {}", config.agentId(), id, code);
      return;
    }
    settle(m);
    MessageRefusedException e = new MessageRefusedException(id, code, message);
    callbacks.fail(m.acked, e);
    if (m.response != null) {
      callbacks.fail(m.response, e);
    }
  }

  /**
   * A {@code response} naming one of this agent's requests. The gateway's own answers (policy,
   * artifacts) are unsigned and need no acknowledgement; a signed one came through the durable
   * queue, so it is verified and acknowledged like any delivered message. The answer completes
   * {@link AgentClient#request}; the answer to a plain {@link AgentClient#send} of a request
   * completes that send and goes to the channel's handler.
   */
  private void answer(OutgoingMessage request, OpenedRecord r) {
    if (r.isSigned()) {
      VerificationResult v = verifier.verify(r);
      if (v == VerificationResult.REPLAYED) {
        acks.ack(r.id());
        return;
      }
      if (!v.accepted()) {
        acks.reject(r.id(), reason(v));
        reject(r, v);
        settle(request);
        AgentException e = new AgentException("response to " + request.id + " refused: " + reason(v));
        callbacks.fail(request.acked, e);
        if (request.response != null) {
          callbacks.fail(request.response, e);
        }
        return;
      }
      acks.ack(r.id());
    }
    settle(request);
    callbacks.complete(request.acked, null);
    if (request.response != null) {
      callbacks.complete(request.response, message(r, null));
    } else {
      dispatch(r, false);
    }
  }

  private void settle(OutgoingMessage m) {
    outbox.remove(m.id);
    if (m.timeout != null) {
      m.timeout.cancel(false);
    }
  }

  /** Fails a message that got no answer in time (called by its timer). */
  void timedOut(OutgoingMessage m, String what) {
    if (outbox.remove(m.id) == null) {
      return;
    }
    TimeoutException e = new TimeoutException(what);
    callbacks.fail(m.acked, e);
    if (m.response != null) {
      callbacks.fail(m.response, e);
    }
  }

  private void backendKey(OpenedRecord r) {
    VerificationResult v = verifier.verify(r);
    if (v == VerificationResult.REPLAYED) {
      return; // announced before in this process
    }
    if (!v.accepted()) {
      reject(r, v);
      return;
    }
    JsonNode b = body(r);
    IdentityPublicKey key;
    try {
      key = IdentityPublicKey.parseBase64(b.path("public_key").asText(null));
    } catch (InvalidKeyException e) {
      rejected(r, "invalid_body");
      return;
    }
    if (!key.keyIdHex().equalsIgnoreCase(b.path("key_id").asText(""))) {
      rejected(r, "invalid_body");
      return;
    }
    PinnedBackendKeys now = pins;
    if (now.current().equals(key)) {
      return; // already the first pin: a repeated announcement
    }
    // PROTOCOL.md §10.3: pin [announced, previous first] and ask for the announced key from now on.
    pins = PinnedBackendKeys.of(key, now.current());
    if (!key.equals(now.next())) {
      verifier = newVerifier(pins); // a key not pinned before; the same two keys keep the seen-set
    }
    log.info("agent {}: backend announced its next key {}; pinned first (asked for in client_hello), {} second",
        config.agentId(), key.keyIdHex(), now.current().keyIdHex());
    callbacks.backendKeyAnnounced(key);
  }

  // ------------------------------------------------------------------ delivered messages

  private void deliver(OpenedRecord r) {
    VerificationResult v = verifier.verify(r);
    switch (v) {
      case ACCEPTED, REPLAYED -> {
        if (handlerFor(r.channel()) == null && !delivered.contains(r.id())) {
          // Nothing here can act on it: say so, so that the message ends "failed" with this
          // reason at the gateway instead of "delivered" to nobody. It is not recorded as
          // delivered, so a redelivery (the ack was lost) is refused the same way.
          acks.reject(r.id(), NO_HANDLER);
          rejected(r, NO_HANDLER);
        } else if (v == VerificationResult.ACCEPTED && delivered.accept(r.id())) {
          dispatch(r, true);
        } else {
          log.debug("agent {}: message {} was delivered before; acknowledged again", config.agentId(), r.id());
          acks.ack(r.id());
        }
      }
      default -> {
        acks.reject(r.id(), reason(v));
        reject(r, v);
      }
    }
  }

  private void reject(OpenedRecord r, VerificationResult v) {
    rejected(r, reason(v));
  }

  private void rejected(OpenedRecord r, String reason) {
    log.warn("agent {}: refused {} {} on {}: {}", config.agentId(), r.type(), r.id(), r.channel(), reason);
    callbacks.rejected(new RejectedMessage(r.id(), r.type(), r.channel(), reason));
  }

  private static String reason(VerificationResult v) {
    return v.name().toLowerCase(Locale.ROOT);
  }

  private AgentMessage message(OpenedRecord r, Replier forRequests) {
    SignedBlock s = r.signed();
    return new AgentMessage(r.id(), r.type(), r.channel(), r.headers(), r.body(), r.timestamp(),
        config.clock().instant(), s != null && Protocol.AUDIENCE_BROADCAST.equals(s.audience()),
        s == null ? 0 : s.expiresAt(), forRequests);
  }

  /**
   * Hands a message to its handler lane.
   *
   * @param queued true for a delivered message (recorded as delivered, then acknowledged); false
   *               for an answer to this agent's own request (neither)
   */
  private void dispatch(OpenedRecord r, boolean queued) {
    MessageHandler handler = handlerFor(r.channel());
    AgentMessage m = message(r, queued && MessageTypes.REQUEST.equals(r.type()) ? replier : null);
    pendingDeliveries++;
    if (backlogged()) {
      backpressure.pause();
    }
    lanes.submit(r.channel(), () -> runHandler(handler, m, queued));
  }

  /** The channel's handler, else the default handler, else {@code null}. */
  private MessageHandler handlerFor(String channel) {
    return config.handlers().getOrDefault(channel, config.defaultHandler());
  }

  /** On a handler lane. */
  private void runHandler(MessageHandler handler, AgentMessage m, boolean queued) {
    if (queued) {
      try {
        delivered.persist(m.id());
      } catch (IOException | UncheckedIOException e) {
        callbacks.error(new AgentException("cannot record delivered message " + m.id()
            + " in the de-duplication file", e));
      }
    }
    try {
      if (handler == null) {
        // Only the answer to this agent's own send of a request gets here (a delivered message
        // without a handler is refused before): it completed that send already.
        log.debug("agent {}: no handler for channel {}; answer {} not handed to one", config.agentId(),
            m.channel(), m.id());
      } else {
        handler.onMessage(m);
      }
    } catch (Exception | AssertionError e) {
      log.warn("agent {}: handler for channel {} failed on message {}", config.agentId(), m.channel(), m.id(), e);
      callbacks.error(new AgentException("handler for channel " + m.channel() + " failed on message " + m.id(), e));
    } finally {
      io.execute(() -> handled(m, queued));
    }
  }

  private void handled(AgentMessage m, boolean queued) {
    pendingDeliveries--;
    if (queued && !m.replied()) {
      acks.ack(m.id());
    }
    if (pendingDeliveries <= config.maxPendingDeliveries() / 2) {
      backpressure.resume();
    }
  }
}
