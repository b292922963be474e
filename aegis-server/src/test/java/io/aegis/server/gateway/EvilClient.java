package io.aegis.server.gateway;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.WireFormatException;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Aead;
import io.aegis.protocol.crypto.Hkdf;
import io.aegis.protocol.crypto.Sha256;
import io.aegis.protocol.crypto.TrafficKeys;
import io.aegis.protocol.crypto.X25519;
import io.aegis.protocol.handshake.ClientAuth;
import io.aegis.protocol.handshake.ClientHello;
import io.aegis.protocol.handshake.ServerHello;
import java.security.SecureRandom;

/**
 * The agent side of the handshake written out from docs/PROTOCOL.md §7 with the protocol's
 * primitives, so that a test can sign M3 with any key under any context: what the real
 * {@code ClientHandshake} never does. One instance per connection.
 */
final class EvilClient {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] eAPrivate = X25519.generatePrivate(RANDOM);
  private final byte[] agentPublic;
  private final String clientHello;
  private final byte[] ch;

  /** A client_hello naming {@code agentPublic} (normally the registered key) and asking for {@code backendKey}. */
  EvilClient(String agentId, IdentityPublicKey agentPublic, IdentityPublicKey backendKey) {
    this.agentPublic = agentPublic.encoded();
    byte[] nA = new byte[32];
    RANDOM.nextBytes(nA);
    ClientHello h = new ClientHello(Protocol.VERSION, Protocol.SUITE, agentId, this.agentPublic, backendKey.keyId(),
        X25519.publicKey(eAPrivate), nA, System.currentTimeMillis());
    this.clientHello = WireJson.encode(h);
    this.ch = h.canonicalBytes();
  }

  String clientHello() {
    return clientHello;
  }

  /** M3 answering {@code m2}: the transcript signature made by {@code signer} under {@code context}. */
  String clientAuth(String m2, IdentityKeyPair signer, String context, IdentityPublicKey backendKey)
      throws WireFormatException {
    ServerHello sh = WireJson.decodeServerHello(m2);
    byte[] shBytes = sh.canonicalBytes();
    byte[] c = sh.sealed();
    byte[] thHello = Sha256.hash(ch, shBytes);
    byte[] hs = Hkdf.extract(thHello, X25519.agree(eAPrivate, sh.backendKey()));
    byte[] cHs = Hkdf.expandLabel(hs, "c hs", thHello, 32);
    byte[] sigA = signer.sign(context, Sha256.hash(ch, shBytes, c, backendKey.encoded(), agentPublic));
    byte[] c3 = Aead.sealOnce(TrafficKeys.key(cHs), TrafficKeys.nonce(TrafficKeys.iv(cHs), 0),
        Sha256.hash(ch, shBytes, c), sigA);
    return WireJson.encode(new ClientAuth(c3));
  }
}
