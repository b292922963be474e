package io.aegis.server.registry;

import io.aegis.protocol.IdentityPublicKey;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parsed registered keys, by their base64 text. Parsing validates the point (decompression and a
 * subgroup check), which costs more than verifying a signature (about 87 µs here); every
 * handshake and every {@code POST /api/v1/auth} needs the agent's registered key parsed. The
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

  /** The parsed key; {@link io.aegis.protocol.InvalidKeyException} if the text is not a valid key. */
  public IdentityPublicKey parse(String base64) {
    synchronized (keys) {
      IdentityPublicKey k = keys.get(base64);
      if (k != null) {
        return k;
      }
    }
    IdentityPublicKey parsed = IdentityPublicKey.parseBase64(base64);
    synchronized (keys) {
      keys.put(base64, parsed);
    }
    return parsed;
  }
}
