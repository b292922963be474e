package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.record.CommandVerifier;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation of the backend identity key (docs/OPERATIONS.md): a gateway holding a next key
 * announces it in every session, signed by the current key, and signs the handshakes of agents
 * that ask for it; after the operator promotes it, agents that pinned it carry on.
 */
class BackendKeyRotationTest {
  static final SecureRandom RANDOM = new SecureRandom();

  @TempDir
  Path secrets;
  IdentityKeyPair next;
  Path nextFile;
  TestGateway gw;
  IdentityPublicKey current;

  @BeforeEach
  void start() throws Exception {
    next = IdentityKeyPair.generate(RANDOM);
    nextFile = secrets.resolve("next.pem");
    KeyFiles.writePrivateKey(nextFile, next, false);
    gw = TestGateway.start(StoreKind.SQLITE, Map.of("AUTH_NEXT_PRIVATE_KEY_PATH", nextFile.toString()));
    current = gw.server().identity().publicKey();
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  @Test
  void everySessionReceivesTheNextKeySignedByTheCurrentOne() throws Exception {
    TestAgent agent = TestAgent.register(gw, "announced");
    for (int session = 0; session < 2; session++) {
      try (TestAgent.Session s = agent.connect()) {
        OpenedRecord r = s.next();
        assertThat(r.type()).isEqualTo("backend_key");
        assertThat(r.channel()).isEqualTo("control");
        JsonNode body = new ObjectMapper().readTree(r.bodyText());
        assertThat(body.get("key_id").asText()).isEqualTo(next.publicKey().keyIdHex());
        assertThat(IdentityPublicKey.parseBase64(body.get("public_key").asText())).isEqualTo(next.publicKey());
        assertThat(body.size()).isEqualTo(2);
        // Signed by the current key, for everyone, with an expiry.
        assertThat(new CommandVerifier(agent.agentId(), PinnedBackendKeys.of(current), Clock.systemUTC(), 100).verify(r))
            .isEqualTo(VerificationResult.ACCEPTED);
        assertThat(new CommandVerifier(agent.agentId(), PinnedBackendKeys.of(next.publicKey()), Clock.systemUTC(), 100)
            .verify(r)).isEqualTo(VerificationResult.UNKNOWN_SIGNER);
        assertThat(r.signed().audience()).isEqualTo("*");
        assertThat(r.signed().expiresAt()).isGreaterThan(System.currentTimeMillis());
      }
    }
  }

  @Test
  void anAgentThatAsksForTheNextKeyGetsAHandshakeSignedByIt() {
    TestAgent adopted = TestAgent.register(gw, "adopted");
    TestAgent notYet = TestAgent.register(gw, "not-yet");
    TestAgent confused = TestAgent.register(gw, "confused");
    try (TestAgent.Session s = adopted.connect(PinnedBackendKeys.of(next.publicKey(), current))) {
      assertThat(s.established().backendKey()).isEqualTo(next.publicKey());
    }
    try (TestAgent.Session s = notYet.connect(PinnedBackendKeys.of(current, next.publicKey()))) {
      assertThat(s.established().backendKey()).isEqualTo(current);
    }
    // A key id the gateway does not hold gets the current key (and the metric calls it "other").
    IdentityPublicKey unknown = IdentityKeyPair.generate(RANDOM).publicKey();
    try (TestAgent.Session s = confused.connect(PinnedBackendKeys.of(unknown, current))) {
      assertThat(s.established().backendKey()).isEqualTo(current);
    }
    String metrics = gw.anonymous().get("/metrics").body();
    assertThat(metrics).containsPattern(RecordLayerSocketTest.sample("aegis_handshakes_by_backend_key_total",
        "key_id=\"" + next.publicKey().keyIdHex() + "\""));
    assertThat(metrics).containsPattern(RecordLayerSocketTest.sample("aegis_handshakes_by_backend_key_total",
        "key_id=\"" + current.keyIdHex() + "\""));
    assertThat(metrics).containsPattern(RecordLayerSocketTest.sample("aegis_handshakes_by_backend_key_total",
        "key_id=\"other\""));
    assertThat(metrics).doesNotContain(unknown.keyIdHex());
  }

  @Test
  void afterPromotionAgentsThatPinnedTheNextKeyCarryOnAndLaggardsAreRefused() throws Exception {
    TestAgent pinnedBoth = TestAgent.register(gw, "pinned-both");
    TestAgent adopted = TestAgent.register(gw, "adopted");
    TestAgent laggard = TestAgent.register(gw, "laggard");
    IdentityPublicKey old = current;

    // The operator promotes: the next key becomes AUTH_PRIVATE_KEY_PATH (its public half is
    // rewritten at start), and AUTH_NEXT_PRIVATE_KEY_PATH is unset.
    Path priv = gw.server().config().privateKeyPath();
    Path pub = gw.server().config().publicKeyPath();
    Files.copy(nextFile, priv, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.COPY_ATTRIBUTES); // owner-only, as the gateway demands
    Files.delete(pub);
    gw.restart(Map.of("AUTH_NEXT_PRIVATE_KEY_PATH", ""));
    assertThat(gw.server().identity().publicKey()).isEqualTo(next.publicKey());
    assertThat(gw.server().identity().keyRing().next()).isNull();
    assertThat(KeyFiles.readPublicKey(pub)).isEqualTo(next.publicKey());

    // An agent that still names the old key but pins both: signed with the new key, which it pins.
    try (TestAgent.Session s = pinnedBoth.connect(PinnedBackendKeys.of(old, next.publicKey()))) {
      assertThat(s.established().backendKey()).isEqualTo(next.publicKey());
      s.keyUpdateRoundTrip(); // no announcement any more: the round trip is the first thing back
    }
    try (TestAgent.Session s = adopted.connect(PinnedBackendKeys.of(next.publicKey(), old))) {
      assertThat(s.established().backendKey()).isEqualTo(next.publicKey());
    }
    // An agent that never received the announcement cannot verify the gateway any more.
    assertThatThrownBy(() -> laggard.connect(PinnedBackendKeys.of(old)))
        .hasRootCauseInstanceOf(HandshakeException.class)
        .rootCause().hasMessageContaining("not pinned");
  }
}
