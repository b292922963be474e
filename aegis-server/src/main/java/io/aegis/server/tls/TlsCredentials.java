package io.aegis.server.tls;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * A TLS certificate chain and its private key, read from PEM files and checked to belong
 * together: the chain parses, the first certificate is the leaf, and the key signs what the
 * leaf's public key verifies. The key may be PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}, with or without the
 * {@code EC PARAMETERS} block OpenSSL writes before it); RSA or ECDSA, unencrypted. It is handed
 * to Vert.x re-encoded as PKCS#8, so Vert.x sees one format whatever the file held.
 *
 * <p>Immutable. {@link #toString()} describes the certificate and never shows the key.
 */
final class TlsCredentials {
  /** Why a pair of files cannot be used; the message names the file and the problem, never key material. */
  static final class InvalidTlsFiles extends Exception {
    InvalidTlsFiles(String message) {
      super(message);
    }

    InvalidTlsFiles(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final List<X509Certificate> chain;
  private final Buffer certPem;
  private final Buffer keyPem;
  private final String contentHash;

  private TlsCredentials(List<X509Certificate> chain, Buffer certPem, Buffer keyPem, String contentHash) {
    this.chain = chain;
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.contentHash = contentHash;
  }

  /** The SHA-256 of both files' bytes, hex: what the reloader compares to notice a change. */
  static String contentHash(byte[] cert, byte[] key) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(cert);
      d.update(key);
      return HexFormat.of().formatHex(d.digest());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads and checks both files. */
  static TlsCredentials read(Path certFile, Path keyFile) throws InvalidTlsFiles {
    byte[] cert;
    byte[] key;
    try {
      cert = Files.readAllBytes(certFile);
    } catch (IOException e) {
      throw new InvalidTlsFiles("TLS_CERT_PATH " + certFile + ": cannot read: " + e, e);
    }
    try {
      key = Files.readAllBytes(keyFile);
    } catch (IOException e) {
      throw new InvalidTlsFiles("TLS_KEY_PATH " + keyFile + ": cannot read: " + e, e);
    }
    return parse(cert, key, certFile, keyFile);
  }

  static TlsCredentials parse(byte[] cert, byte[] key, Path certFile, Path keyFile) throws InvalidTlsFiles {
    List<X509Certificate> chain = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (var c : cf.generateCertificates(new ByteArrayInputStream(cert))) {
        chain.add((X509Certificate) c);
      }
    } catch (GeneralSecurityException e) {
      throw new InvalidTlsFiles("TLS_CERT_PATH " + certFile + ": not a PEM certificate chain: " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new InvalidTlsFiles("TLS_CERT_PATH " + certFile + ": holds no certificate");
    }
    PrivateKey privateKey = privateKey(key, keyFile);
    X509Certificate leaf = chain.get(0);
    if (!belongTogether(privateKey, leaf)) {
      throw new InvalidTlsFiles("TLS_KEY_PATH " + keyFile + " is not the private key of the first certificate in "
          + "TLS_CERT_PATH " + certFile + " (" + describe(leaf) + ")");
    }
    String pkcs8 = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(privateKey.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    return new TlsCredentials(List.copyOf(chain), Buffer.buffer(cert), Buffer.buffer(pkcs8), contentHash(cert, key));
  }

  private static PrivateKey privateKey(byte[] key, Path keyFile) throws InvalidTlsFiles {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = new PEMParser(new StringReader(new String(key, StandardCharsets.US_ASCII)))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          // Not getKeyPair(): a SEC1 key may omit its public half, which that call requires.
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
          throw new InvalidTlsFiles("TLS_KEY_PATH " + keyFile + ": the private key is encrypted; "
              + "store it unencrypted with owner-only permissions (openssl pkey -in enc.pem -out key.pem)");
        }
        // Anything else (EC PARAMETERS before a SEC1 key): skip.
      }
    } catch (IOException | RuntimeException e) {
      throw new InvalidTlsFiles("TLS_KEY_PATH " + keyFile + ": not a PEM private key: " + e.getClass().getSimpleName(), e);
    }
    throw new InvalidTlsFiles("TLS_KEY_PATH " + keyFile + ": holds no private key "
        + "(expected BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)");
  }

  /** True if {@code key} signs a random challenge that the certificate's public key verifies. */
  private static boolean belongTogether(PrivateKey key, X509Certificate cert) throws InvalidTlsFiles {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> throw new InvalidTlsFiles("TLS_KEY_PATH: a " + key.getAlgorithm()
          + " key is not supported for TLS; use an RSA or ECDSA key");
    };
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** The options Vert.x serves: the chain as read, the key as PKCS#8. */
  PemKeyCertOptions keyCertOptions() {
    return new PemKeyCertOptions().setCertValue(certPem).setKeyValue(keyPem);
  }

  X509Certificate leaf() {
    return chain.get(0);
  }

  Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  String contentHash() {
    return contentHash;
  }

  static String describe(X509Certificate c) {
    return "subject=\"" + c.getSubjectX500Principal().getName() + "\" issuer=\"" + c.getIssuerX500Principal().getName()
        + "\" serial=" + c.getSerialNumber().toString(16) + " not_before=" + c.getNotBefore().toInstant()
        + " not_after=" + c.getNotAfter().toInstant();
  }

  @Override
  public String toString() {
    return describe(leaf()) + " chain=" + chain.size();
  }
}
