package io.aegis.server.registry;

import io.aegis.protocol.IdentityPublicKey;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decoded registered keys, by their base64 text. Every handshake and every
 * {@code POST /api/v1/auth} needs the agent's registered key as a curve point; the registry
 * validated each key fully at registration, so here it is only decoded (about 20 µs instead of
 * the 87 µs of a full validation) and kept. The
 * text of a key determines its parse, so entries never go stale: a rotated key simply stops
 * being looked up. Bounded (least recently used first out).
 *
 * <p>Thread-safe.
 */
public final class PublicKeyCache {
  private final Map<String, IdentityPublicKey> keys;

  public PublicKeyCache(int capacity) {
    this.keys = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, IdentityPublicKey> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The decoded key; {@link io.aegis.protocol.InvalidKeyException} if the text is not a point. */
  public IdentityPublicKey parse(String base64) {
    synchronized (keys) {
      IdentityPublicKey k = keys.get(base64);
      if (k != null) {
        return k;
      }
    }
    // Keys in the registry were fully validated at registration: decoding the point is enough.
    IdentityPublicKey parsed = IdentityPublicKey.fromTrustedStore(java.util.Base64.getDecoder().decode(base64));
    synchronized (keys) {
      keys.put(base64, parsed);
    }
    return parsed;
  }
}
