package io.aegis.server.auth;

import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.crypto.Aead;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.Secrets;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.AEADBadTagException;

/**
 * Keeps the record keys of HTTP sessions at rest (docs/PROTOCOL.md §17.1): sealed with
 * ChaCha20-Poly1305 under {@code IdentityKeyPair.deriveSecret("http session keys at rest")} of the
 * backend identity key, which every node holds, so any node can serve any HTTP session. The
 * associated data binds the blob to its session token's hash: a blob copied to another row does
 * not open.
 *
 * <p>Each blob names the key id of the backend key that sealed it; the vault opens blobs of the
 * current and the next key. After the backend key is replaced, older sessions' keys no longer
 * open and their agents authenticate again. Thread-safe.
 */
public final class RecordKeyVault {
  static final String LABEL = "http session keys at rest";
  private static final byte[] AAD_PREFIX = "aegis record keys v1 ".getBytes(StandardCharsets.US_ASCII);

  private final Map<String, byte[]> keys = new HashMap<>();
  private final String currentKeyId;
  private final SecureRandom random = new SecureRandom();

  public RecordKeyVault(BackendKeyRing ring) {
    currentKeyId = add(ring.current());
    if (ring.next() != null) {
      add(ring.next());
    }
  }

  private String add(IdentityKeyPair key) {
    String id = key.publicKey().keyIdHex();
    keys.put(id, key.deriveSecret(LABEL));
    return id;
  }

  /** A sealed blob and the key id of the backend key that sealed it. */
  public record Sealed(String blob, String keyId) {}

  /** Seals {@code secrets} (erased by the caller) for the session whose token hash is {@code tokenHash}. */
  public Sealed seal(byte[] secrets, String tokenHash) {
    byte[] nonce = new byte[Aead.NONCE_LENGTH];
    random.nextBytes(nonce);
    byte[] sealed = Aead.sealOnce(keys.get(currentKeyId), nonce, aad(tokenHash), secrets);
    byte[] out = new byte[nonce.length + sealed.length];
    System.arraycopy(nonce, 0, out, 0, nonce.length);
    System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
    return new Sealed(Base64.getEncoder().encodeToString(out), currentKeyId);
  }

  /** The secrets of a blob, or empty if its key is not held or it does not open. The caller erases them. */
  public Optional<byte[]> open(Sealed sealed, String tokenHash) {
    byte[] key = keys.get(sealed.keyId());
    if (key == null) {
      return Optional.empty();
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(sealed.blob());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (raw.length < Aead.NONCE_LENGTH + Aead.TAG_LENGTH) {
      return Optional.empty();
    }
    try {
      return Optional.of(Aead.openOnce(key, Arrays.copyOf(raw, Aead.NONCE_LENGTH), aad(tokenHash),
          Arrays.copyOfRange(raw, Aead.NONCE_LENGTH, raw.length)));
    } catch (AEADBadTagException e) {
      return Optional.empty();
    } finally {
      Secrets.erase(raw);
    }
  }

  private static byte[] aad(String tokenHash) {
    byte[] hash = Hex.decode(tokenHash);
    byte[] out = Arrays.copyOf(AAD_PREFIX, AAD_PREFIX.length + hash.length);
    System.arraycopy(hash, 0, out, AAD_PREFIX.length, hash.length);
    return out;
  }
}
