package io.aegis.cli;

import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;

/** A gateway serving TLS with a certificate from a throw-away private CA, whose PEM is in {@code ca}. */
public record TlsGateways(TestGateway gateway, Path ca) {

  /** Starts one; its files go to {@code dir}. The gateway's own clients trust the CA. */
  public static TlsGateways start(Path dir) {
    try {
      TestPki pki = TestPki.create("Aegis CLI Test CA");
      KeyPair key = TestPki.ecKey();
      Path cert = dir.resolve("tls.crt");
      Path keyFile = dir.resolve("tls.key");
      Path ca = dir.resolve("ca.pem");
      Files.writeString(cert, TestPki.pem(pki.issue("gateway", 1, key, Duration.ofDays(1)), pki.caCertificate()));
      Files.writeString(keyFile, TestPki.pkcs8(key.getPrivate()));
      Files.writeString(ca, TestPki.pem(pki.caCertificate()));
      TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("TLS_CERT_PATH", cert.toString(), "TLS_KEY_PATH",
          keyFile.toString(), "AEGIS_BIND_ADDRESS", "127.0.0.1")).trusting(pki.clientContext());
      return new TlsGateways(gw, ca);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
