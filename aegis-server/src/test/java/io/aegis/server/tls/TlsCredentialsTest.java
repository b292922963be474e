package io.aegis.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.server.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.function.Function;
import java.util.stream.Stream;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Reading a certificate chain and its key from PEM: the formats operators have, and the mistakes they make. */
class TlsCredentialsTest {
  static final TestPki PKI = TestPki.create("Unit CA");
  static final Path CERT = Path.of("tls.crt");
  static final Path KEY = Path.of("tls.key");

  /** P-256 EC PARAMETERS, as {@code openssl ecparam -genkey} writes before a SEC1 key. */
  static final String EC_PARAMETERS = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";

  static Stream<Arguments> keyFormats() {
    return Stream.of(
        Arguments.of("EC PKCS#8", TestPki.ecKey(), (Function<KeyPair, String>) k -> TestPki.pkcs8(k.getPrivate())),
        Arguments.of("EC SEC1", TestPki.ecKey(), (Function<KeyPair, String>) k -> TestPki.sec1(k, true)),
        Arguments.of("EC SEC1 without its public key", TestPki.ecKey(), (Function<KeyPair, String>) k -> TestPki.sec1(k, false)),
        Arguments.of("EC SEC1 after EC PARAMETERS", TestPki.ecKey(),
            (Function<KeyPair, String>) k -> EC_PARAMETERS + TestPki.sec1(k, true)),
        Arguments.of("RSA PKCS#8", TestPki.rsaKey(), (Function<KeyPair, String>) k -> TestPki.pkcs8(k.getPrivate())),
        Arguments.of("RSA PKCS#1", TestPki.rsaKey(), (Function<KeyPair, String>) k -> TestPki.pkcs1(k.getPrivate())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("keyFormats")
  void readsEveryUsualKeyFormatAndHandsVertxPkcs8(String format, KeyPair key, Function<KeyPair, String> pem)
      throws Exception {
    X509Certificate cert = PKI.issue("unit", 7, key, Duration.ofDays(1));
    TlsCredentials c = TlsCredentials.parse(bytes(TestPki.pem(cert, PKI.caCertificate())), bytes(pem.apply(key)), CERT, KEY);
    assertThat(c.leaf()).isEqualTo(cert);
    assertThat(c.notAfter()).isEqualTo(cert.getNotAfter().toInstant());
    assertThat(c.keyCertOptions().getKeyValue().toString()).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(c.toString()).contains("CN=unit").contains("serial=7").doesNotContain("PRIVATE");
  }

  @Test
  void refusesAKeyThatIsNotTheCertificates() {
    X509Certificate cert = PKI.issue("unit", 8, TestPki.ecKey(), Duration.ofDays(1));
    assertThatThrownBy(() -> TlsCredentials.parse(bytes(TestPki.pem(cert)), bytes(TestPki.pkcs8(TestPki.ecKey().getPrivate())), CERT, KEY))
        .isInstanceOf(TlsCredentials.InvalidTlsFiles.class)
        .hasMessageContaining("is not the private key of the first certificate");
  }

  @Test
  void refusesAnEncryptedKey() throws Exception {
    KeyPair key = TestPki.ecKey();
    X509Certificate cert = PKI.issue("unit", 9, key, Duration.ofDays(1));
    var out = new java.io.StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new JcaPKCS8Generator(key.getPrivate(), new JceOpenSSLPKCS8EncryptorBuilder(
          JcaPKCS8Generator.AES_256_CBC).setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
          .setPassword("secret".toCharArray()).build()));
    }
    assertThatThrownBy(() -> TlsCredentials.parse(bytes(TestPki.pem(cert)), bytes(out.toString()), CERT, KEY))
        .isInstanceOf(TlsCredentials.InvalidTlsFiles.class)
        .hasMessageContaining("encrypted");
  }

  @Test
  void refusesFilesThatHoldSomethingElse() {
    KeyPair key = TestPki.ecKey();
    X509Certificate cert = PKI.issue("unit", 10, key, Duration.ofDays(1));
    String certPem = TestPki.pem(cert);
    String keyPem = TestPki.pkcs8(key.getPrivate());
    assertThatThrownBy(() -> TlsCredentials.parse(bytes(""), bytes(keyPem), CERT, KEY))
        .hasMessageStartingWith("TLS_CERT_PATH tls.crt");
    assertThatThrownBy(() -> TlsCredentials.parse(bytes(keyPem), bytes(keyPem), CERT, KEY))
        .hasMessageStartingWith("TLS_CERT_PATH tls.crt");
    assertThatThrownBy(() -> TlsCredentials.parse(bytes(certPem), bytes(certPem), CERT, KEY))
        .hasMessageStartingWith("TLS_KEY_PATH tls.key").hasMessageContaining("holds no private key");
    assertThatThrownBy(() -> TlsCredentials.parse(bytes(certPem), bytes("garbage"), CERT, KEY))
        .hasMessageStartingWith("TLS_KEY_PATH tls.key");
  }

  @Test
  void theContentHashCoversBothFiles() {
    assertThat(TlsCredentials.contentHash(bytes("a"), bytes("b")))
        .isNotEqualTo(TlsCredentials.contentHash(bytes("a"), bytes("c")))
        .isNotEqualTo(TlsCredentials.contentHash(bytes("x"), bytes("b")));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
