package io.aegis.server.auth;

import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.InvalidKeyException;
import io.aegis.protocol.KeyFiles;
import io.aegis.server.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * The backend's Ed25519 identity: the key agents pin, which signs the gateway's side of every
 * handshake and every command. Read from {@code AUTH_PRIVATE_KEY_PATH} /
 * {@code AUTH_PUBLIC_KEY_PATH}; created on first start when neither file exists.
 *
 * <p>Refuses to start rather than guess: a private key readable by group or others, a public
 * key file without its private key (agents pinned a key we no longer have), or two files that
 * do not belong together.
 */
public final class BackendIdentity {
  private final BackendKeyRing keyRing;
  private final boolean created;

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BackendIdentity.class);

  private BackendIdentity(BackendKeyRing keyRing, boolean created) {
    this.keyRing = keyRing;
    this.created = created;
    IdentityKeyPair next = keyRing.next();
    log.info("backend identity key {}{}", keyRing.current().publicKey().keyIdHex(), next == null ? ""
        : "; next key " + next.publicKey().keyIdHex() + " (AUTH_NEXT_PRIVATE_KEY_PATH) is announced to every "
            + "session and signs the handshakes that ask for it");
  }

  public static BackendIdentity loadOrCreate(Config config) {
    Path priv = config.privateKeyPath();
    Path pub = config.publicKeyPath();
    try {
      if (Files.exists(priv)) {
        if (!KeyFiles.isOwnerOnly(priv)) {
          throw new IllegalStateException("AUTH_PRIVATE_KEY_PATH " + priv
              + " is readable by group or others; run: chmod 600 " + priv);
        }
        IdentityKeyPair key = read(priv, "AUTH_PRIVATE_KEY_PATH", () -> KeyFiles.readPrivateKey(priv));
        if (Files.exists(pub)) {
          IdentityPublicKey onDisk = read(pub, "AUTH_PUBLIC_KEY_PATH", () -> KeyFiles.readPublicKey(pub));
          if (!onDisk.equals(key.publicKey())) {
            throw new IllegalStateException("AUTH_PUBLIC_KEY_PATH " + pub
                + " does not hold the public half of AUTH_PRIVATE_KEY_PATH " + priv);
          }
        } else {
          createParent(pub);
          KeyFiles.writePublicKey(pub, key.publicKey(), false);
        }
        return new BackendIdentity(withNext(key, config), false);
      }
      if (Files.exists(pub)) {
        throw new IllegalStateException("AUTH_PUBLIC_KEY_PATH " + pub + " exists but AUTH_PRIVATE_KEY_PATH "
            + priv + " does not; restore the private key (agents have pinned its public half)");
      }
      IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
      createParent(priv);
      createParent(pub);
      KeyFiles.writePrivateKey(priv, key, false);
      KeyFiles.writePublicKey(pub, key.publicKey(), false);
      return new BackendIdentity(withNext(key, config), true);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read or create the backend identity key: " + e.getMessage(), e);
    }
  }

  private interface KeyReader<T> {
    T read() throws IOException;
  }

  /** Reads a key file; a file that is not a valid Ed25519 PEM key stops the start, naming the variable. */
  private static <T> T read(Path file, String variable, KeyReader<T> reader) throws IOException {
    try {
      return reader.read();
    } catch (InvalidKeyException e) {
      throw new IllegalStateException(variable + " " + file + " is not a valid Ed25519 key: " + e.getMessage(), e);
    }
  }

  /** Adds {@code AUTH_NEXT_PRIVATE_KEY_PATH}, if set, as the key ring's next key. */
  private static BackendKeyRing withNext(IdentityKeyPair current, Config config) throws IOException {
    if (config.nextPrivateKeyPath().isEmpty()) {
      return BackendKeyRing.of(current);
    }
    Path next = config.nextPrivateKeyPath().get();
    if (!Files.exists(next)) {
      throw new IllegalStateException("AUTH_NEXT_PRIVATE_KEY_PATH " + next + " does not exist");
    }
    if (!KeyFiles.isOwnerOnly(next)) {
      throw new IllegalStateException("AUTH_NEXT_PRIVATE_KEY_PATH " + next
          + " is readable by group or others; run: chmod 600 " + next);
    }
    IdentityKeyPair nextKey = read(next, "AUTH_NEXT_PRIVATE_KEY_PATH", () -> KeyFiles.readPrivateKey(next));
    if (nextKey.publicKey().equals(current.publicKey())) {
      throw new IllegalStateException("AUTH_NEXT_PRIVATE_KEY_PATH holds the same key as AUTH_PRIVATE_KEY_PATH");
    }
    return BackendKeyRing.of(current, nextKey);
  }

  private static void createParent(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }

  public BackendKeyRing keyRing() {
    return keyRing;
  }

  public IdentityPublicKey publicKey() {
    return keyRing.current().publicKey();
  }

  /** Whether this start created the key pair. */
  public boolean created() {
    return created;
  }
}
