package io.aegis.server.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for TLS tests: it issues server certificates for
 * 127.0.0.1 / localhost, writes them and their keys as PEM in every format the gateway reads,
 * and builds a client {@link SSLContext} that trusts only this CA.
 */
public final class TestPki {
  private final KeyPair caKey;
  private final X509Certificate caCert;

  private TestPki(KeyPair caKey, X509Certificate caCert) {
    this.caKey = caKey;
    this.caCert = caCert;
  }

  /** A new CA with a fresh P-256 key. */
  public static TestPki create(String name) {
    KeyPair key = ecKey();
    Instant now = Instant.now();
    X500Name subject = new X500Name("CN=" + name);
    try {
      var b = new JcaX509v3CertificateBuilder(subject, BigInteger.ONE, Date.from(now.minusSeconds(60)),
          Date.from(now.plus(Duration.ofDays(1))), subject, key.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return new TestPki(key, sign(b, key.getPrivate()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A server certificate for 127.0.0.1 and localhost, valid from a minute ago for {@code validity}. */
  public X509Certificate issue(String commonName, long serial, KeyPair key, Duration validity) {
    Instant now = Instant.now();
    try {
      var b = new JcaX509v3CertificateBuilder(caCert, BigInteger.valueOf(serial), Date.from(now.minusSeconds(60)),
          Date.from(now.plus(validity)), new X500Name("CN=" + commonName), key.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress()),
          new GeneralName(GeneralName.dNSName, "localhost")}));
      return sign(b, caKey.getPrivate());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public X509Certificate caCertificate() {
    return caCert;
  }

  /** A client TLS context that trusts this CA and nothing else. */
  public SSLContext clientContext() {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", caCert);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair ecKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair rsaKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** PEM of certificates, in order (leaf first). */
  public static String pem(X509Certificate... certs) {
    return write(w -> {
      for (X509Certificate c : certs) {
        w.writeObject(c);
      }
    });
  }

  /** {@code BEGIN PRIVATE KEY} (PKCS#8). */
  public static String pkcs8(PrivateKey key) {
    return write(w -> w.writeObject(new JcaPKCS8Generator(key, null)));
  }

  /** {@code BEGIN RSA PRIVATE KEY} (PKCS#1) of an RSA key. */
  public static String pkcs1(PrivateKey rsaKey) {
    if (!rsaKey.getAlgorithm().equals("RSA")) {
      throw new IllegalArgumentException("PKCS#1 is for RSA keys");
    }
    return write(w -> w.writeObject(rsaKey));
  }

  /**
   * {@code BEGIN EC PRIVATE KEY} (SEC1, RFC 5915) of a P-256 key as OpenSSL writes it: with the
   * curve, and with the public key unless {@code withPublicKey} is false (the field is optional).
   */
  public static String sec1(KeyPair ecKey, boolean withPublicKey) {
    java.security.interfaces.ECPrivateKey d = (java.security.interfaces.ECPrivateKey) ecKey.getPrivate();
    var curve = new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.2.840.10045.3.1.7");
    org.bouncycastle.asn1.sec.ECPrivateKey sec1 = withPublicKey
        ? new org.bouncycastle.asn1.sec.ECPrivateKey(256, d.getS(), new org.bouncycastle.asn1.DERBitString(
            org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(ecKey.getPublic().getEncoded()).getPublicKeyData().getBytes()),
            curve)
        : new org.bouncycastle.asn1.sec.ECPrivateKey(256, d.getS(), curve);
    return write(w -> w.writeObject(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded())));
  }

  private interface PemWork {
    void write(JcaPEMWriter w) throws IOException;
  }

  private static String write(PemWork work) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      work.write(w);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer) {
    try {
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
