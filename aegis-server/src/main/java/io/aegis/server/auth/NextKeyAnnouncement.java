package io.aegis.server.auth;

import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.SignedCommand;
import io.aegis.server.api.ApiJson;
import java.time.Duration;
import java.util.Optional;

/**
 * The announcement of the backend's next identity key (docs/PROTOCOL.md §10.3), shared by both
 * transports: a {@code backend_key} command on {@code control}, audience {@code *}, body
 * {@code {"key_id","public_key"}}, signed by the current key, id
 * {@code backend_key:<key_id>:<signing time ms>}, valid for {@link #LIFETIME}. One signature
 * serves every session until half of its lifetime has passed; then the next call signs a new one.
 * A WebSocket session receives it right after its session record, an HTTP session in the answer
 * to its first poll on each node (docs/PROTOCOL.md §17.3).
 *
 * <p>Thread-safe.
 */
public final class NextKeyAnnouncement {
  /** How long an announcement is valid; it is signed again once half of that has passed. */
  public static final Duration LIFETIME = Duration.ofDays(1);

  private record Signed(SignedCommand command, long refreshAtMillis) {}

  private final BackendKeyRing keyRing;
  private volatile Signed signed;

  public NextKeyAnnouncement(BackendKeyRing keyRing) {
    this.keyRing = keyRing;
  }

  /** The key id (hex) of the next key, or empty if the gateway holds none. */
  public Optional<String> nextKeyId() {
    IdentityKeyPair next = keyRing.next();
    return next == null ? Optional.empty() : Optional.of(next.publicKey().keyIdHex());
  }

  /** The announcement to send now, or empty if the gateway holds no next key. */
  public Optional<SignedCommand> current() {
    IdentityKeyPair next = keyRing.next();
    if (next == null) {
      return Optional.empty();
    }
    long now = System.currentTimeMillis();
    Signed s = signed;
    if (s == null || now >= s.refreshAtMillis()) {
      byte[] body = ApiJson.write(ApiJson.MAPPER.createObjectNode()
          .put("key_id", next.publicKey().keyIdHex())
          .put("public_key", next.publicKey().base64()));
      long lifetime = LIFETIME.toMillis();
      SignedCommand command = CommandSigner.backend(keyRing.current()).broadcast(
          "backend_key:" + next.publicKey().keyIdHex() + ":" + now, MessageTypes.BACKEND_KEY, Protocol.CONTROL_CHANNEL,
          now + lifetime, body);
      s = new Signed(command, now + lifetime / 2);
      signed = s;
    }
    return Optional.of(s.command());
  }
}
