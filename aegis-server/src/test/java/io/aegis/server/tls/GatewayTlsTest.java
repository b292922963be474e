package io.aegis.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.TestPki;
import io.aegis.server.testing.Waits;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway with TLS_CERT_PATH / TLS_KEY_PATH: HTTPS and WSS only, TLS 1.3 preferred, and a
 * certificate swapped on disk is served to new connections while live agent sessions carry on.
 */
class GatewayTlsTest {
  @TempDir
  Path dir;
  TestPki pki;
  SSLContext trustTestCa;
  Path certFile;
  Path keyFile;
  TestGateway gw;

  @BeforeEach
  void start() throws IOException {
    pki = TestPki.create("Aegis Test CA");
    trustTestCa = pki.clientContext();
    certFile = dir.resolve("tls.crt");
    keyFile = dir.resolve("tls.key");
    KeyPair key = TestPki.ecKey();
    Files.writeString(certFile, TestPki.pem(pki.issue("gateway-one", 1, key, Duration.ofDays(30)), pki.caCertificate()));
    Files.writeString(keyFile, TestPki.pkcs8(key.getPrivate()));
    gw = TestGateway.start(StoreKind.SQLITE, Map.of(
        "TLS_CERT_PATH", certFile.toString(),
        "TLS_KEY_PATH", keyFile.toString(),
        "AEGIS_BIND_ADDRESS", "127.0.0.1",
        "AEGIS_TLS_RELOAD_INTERVAL", "200ms")).trusting(trustTestCa);
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  @Test
  void servesHttpsAndWssOnlyWithTls13() throws Exception {
    assertThat(gw.baseUrl()).startsWith("https://127.0.0.1:");
    assertThat(gw.operator().get("/api/v1/agents").status()).isEqualTo(200);
    try (SSLSocket s = handshake(null)) {
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
      assertThat(((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName())
          .isEqualTo("CN=gateway-one");
    }
    try (SSLSocket s = handshake(new String[] {"TLSv1.2"})) {
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
    }
    // Plain HTTP on the TLS port gets no answer.
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String http = gw.baseUrl().replace("https://", "http://");
    assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create(http + "/healthz"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
    // An agent completes the Aegis handshake over wss.
    try (TestAgent.Session s = TestAgent.register(gw, "tls-agent").connect()) {
      s.keyUpdateRoundTrip();
      assertThat(s.socket().isClosed()).isFalse();
    }
  }

  @Test
  void aReplacedCertificateIsServedToNewConnectionsWhileLiveSessionsStayUp() throws Exception {
    TestAgent agent = TestAgent.register(gw, "long-lived");
    try (TestAgent.Session live = agent.connect()) {
      // Renewal: a new key (RSA, PKCS#1 this time) and certificate, each file replaced atomically.
      KeyPair newKey = TestPki.rsaKey();
      X509Certificate renewed = pki.issue("gateway-two", 2, newKey, Duration.ofDays(90));
      replace(keyFile, TestPki.pkcs1(newKey.getPrivate()));
      replace(certFile, TestPki.pem(renewed, pki.caCertificate()));

      Awaitility.await().atMost(Waits.EVENT).pollInterval(Duration.ofMillis(100))
          .until(() -> servedSerial() == 2);
      try (SSLSocket s = handshake(null)) {
        assertThat(((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName())
            .isEqualTo("CN=gateway-two");
      }

      // The session opened under the old certificate is still up and still exchanges records.
      assertThat(live.socket().isClosed()).isFalse();
      live.send("evt-after-reload", "event", "events", Map.of(), "{}");
      live.keyUpdateRoundTrip();
      assertThat(live.socket().isClosed()).isFalse();
      // New agent connections handshake under the new certificate.
      try (TestAgent.Session fresh = TestAgent.register(gw, "after-reload").connect()) {
        fresh.keyUpdateRoundTrip();
      }
      String metrics = gw.anonymous().get("/metrics").body();
      assertThat(metricValue(metrics, "aegis_tls_certificate_expiry_seconds", ""))
          .isEqualTo((double) renewed.getNotAfter().toInstant().getEpochSecond());
      assertThat(metrics).containsPattern("(?m)^aegis_tls_reloads_total\\{[^}]*outcome=\"ok\"[^}]*} [1-9]");
    }
  }

  @Test
  void badNewFilesAreRefusedAndTheCurrentCertificateStays() throws Exception {
    // A certificate whose key is not in TLS_KEY_PATH (the cert was replaced, the key not yet).
    replace(certFile, TestPki.pem(pki.issue("gateway-mismatch", 3, TestPki.ecKey(), Duration.ofDays(30))));
    awaitFailedReloads(1);
    assertThat(servedSerial()).isEqualTo(1);
    // Not PEM at all.
    replace(certFile, "this is not a certificate\n");
    awaitFailedReloads(2);
    assertThat(servedSerial()).isEqualTo(1);
    // An expired certificate with its key.
    KeyPair key = TestPki.ecKey();
    replace(keyFile, TestPki.pkcs8(key.getPrivate()));
    replace(certFile, TestPki.pem(pki.issue("gateway-expired", 4, key, Duration.ofSeconds(-30))));
    awaitFailedReloads(3);
    Thread.sleep(600); // a few more polls: whichever state they saw, none was loaded
    assertThat(servedSerial()).isEqualTo(1);
    try (TestAgent.Session s = TestAgent.register(gw, "still-served").connect()) {
      s.keyUpdateRoundTrip();
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Replaces {@code file} the way deployment tools do: write aside, then rename over it. */
  private static void replace(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".new");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private void awaitFailedReloads(int n) {
    Awaitility.await().atMost(Waits.EVENT).pollInterval(Duration.ofMillis(100)).until(() ->
        metricValue(gw.anonymous().get("/metrics").body(), "aegis_tls_reloads_total", "outcome=\"failed\"") >= n);
  }

  /** The value of the sample of {@code name} carrying {@code label}, or -1 if absent. */
  static double metricValue(String metrics, String name, String label) {
    var m = java.util.regex.Pattern.compile("(?m)^" + name + "\\{[^}]*" + java.util.regex.Pattern.quote(label)
        + "[^}]*} (\\S+)").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  /** The serial number of the certificate a brand-new TLS connection is served. */
  private long servedSerial() throws IOException {
    try (SSLSocket s = handshake(null)) {
      return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber().longValueExact();
    }
  }

  private SSLSocket handshake(String[] protocols) throws IOException {
    URI uri = URI.create(gw.baseUrl());
    SSLSocket s = (SSLSocket) trustTestCa.getSocketFactory().createSocket(uri.getHost(), uri.getPort());
    s.setSoTimeout((int) Waits.EVENT.toMillis());
    if (protocols != null) {
      s.setEnabledProtocols(protocols);
    }
    var params = s.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(params);
    s.startHandshake();
    return s;
  }
}
