package io.aegis.protocol.handshake;

import static io.aegis.protocol.testing.Sessions.AGENT_ID;
import static io.aegis.protocol.testing.Sessions.AGENT_KEY;
import static io.aegis.protocol.testing.Sessions.BACKEND_KEY;
import static io.aegis.protocol.testing.Sessions.BACKEND_NEXT_KEY;
import static io.aegis.protocol.testing.Sessions.MAX_FRAME;
import static io.aegis.protocol.testing.Sessions.NOW;
import static io.aegis.protocol.testing.Sessions.OTHER_KEY;
import static io.aegis.protocol.testing.Sessions.RANDOM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.testing.EvilPeers;
import io.aegis.protocol.testing.Frames;
import io.aegis.protocol.testing.MutableClock;
import io.aegis.protocol.testing.Sessions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class HandshakeTest {

    private final MutableClock clock = new MutableClock(NOW);

    private ServerHandshake server() {
        return new ServerHandshake(Sessions.serverConfig(clock));
    }

    private ClientHandshake client() {
        return new ClientHandshake(Sessions.clientConfig(clock));
    }

    private static void assertFails(HandshakeException.Reason reason, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(HandshakeException.class, e -> {
            assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
            assertThat(e.closeCode().code()).isEqualTo(4001);
        });
    }

    @Test
    void fullHandshakeEstablishesOneSessionOnBothSides() throws Exception {
        Sessions.Pair p = Sessions.handshake(clock);
        assertThat(p.client().sessionIdHex()).isEqualTo(p.server().sessionIdHex()).hasSize(32);
        assertThat(p.serverResult().agentId()).isEqualTo(AGENT_ID);
        assertThat(p.serverResult().agentKey()).isEqualTo(AGENT_KEY.publicKey());
        assertThat(p.clientResult().backendKey()).isEqualTo(BACKEND_KEY.publicKey());
        AuthenticationResponse r = p.clientResult().response();
        assertThat(r.success()).isTrue();
        assertThat(r.sessionToken()).isEqualTo("token-abc");
        assertThat(r.sessionIdHex()).isEqualTo(p.client().sessionIdHex());
        assertThat(r.protocolVersion()).isEqualTo(1);

        var toServer = p.client().seal("m-1", MessageTypes.EVENT, "events", "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        OpenedRecord atServer = p.server().open(WireJson.encode(toServer));
        assertThat(atServer.bodyText()).isEqualTo("{\"a\":1}");
        var toClient = p.server().seal("m-2", MessageTypes.REQUEST, "commands", "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(p.client().open(WireJson.encode(toClient)).seq()).isEqualTo(1); // seq 0 was the session record
    }

    @Test
    void twoHandshakesNeverShareKeys() {
        Sessions.Pair a = Sessions.handshake(clock);
        Sessions.Pair b = Sessions.handshake(clock);
        assertThat(a.client().sessionIdHex()).isNotEqualTo(b.client().sessionIdHex());
    }

    @Test
    void unknownInactiveAndMismatchedAgentsAllFailAtClientHello() throws Exception {
        ServerHandshake s1 = server();
        String m1 = client().clientHello();
        assertFails(HandshakeException.Reason.UNKNOWN_AGENT, () -> s1.onClientHello(m1, id -> null));

        ServerHandshake s2 = server();
        assertFails(HandshakeException.Reason.KEY_MISMATCH,
                () -> s2.onClientHello(m1, Sessions.registry(OTHER_KEY.publicKey())));

        // The peer sees the same bytes whatever the reason.
        assertThat(ServerHandshake.FAILURE_FRAME).isEqualTo("{\"success\":false,\"message\":\"authentication failed\"}");
    }

    @Test
    void anAgentWithoutTheRegisteredPrivateKeyFailsAtClientAuth() throws Exception {
        // The impostor knows the agent's public key, sends it, verifies the server, but signs with its own key.
        var evil = new EvilPeers.Client(AGENT_ID, AGENT_KEY.publicKey().encoded(), BACKEND_KEY.publicKey().keyId(),
                Sessions.seed(0x50), Sessions.seed(0x60), NOW);
        ServerHandshake s = server();
        String m2 = s.onClientHello(evil.m1, Sessions.registry());
        String m3 = evil.clientAuth(m2, OTHER_KEY, Protocol.CONTEXT_CLIENT_HANDSHAKE, BACKEND_KEY.publicKey().encoded(),
                AGENT_KEY.publicKey().encoded());
        assertFails(HandshakeException.Reason.BAD_SIGNATURE, () -> s.onClientAuth(m3));
    }

    @Test
    void theSameEvilClientWithTheRightKeySucceeds() throws Exception {
        // Control for the test above: SpecMath's transcript is the real one.
        var evil = new EvilPeers.Client(AGENT_ID, AGENT_KEY.publicKey().encoded(), BACKEND_KEY.publicKey().keyId(),
                Sessions.seed(0x50), Sessions.seed(0x60), NOW);
        ServerHandshake s = server();
        String m2 = s.onClientHello(evil.m1, Sessions.registry());
        String m3 = evil.clientAuth(m2, AGENT_KEY, Protocol.CONTEXT_CLIENT_HANDSHAKE, BACKEND_KEY.publicKey().encoded(),
                AGENT_KEY.publicKey().encoded());
        assertThat(s.onClientAuth(m3).agentId()).isEqualTo(AGENT_ID);
    }

    @Test
    void aServerSignatureOfferedAsAClientSignatureIsRefused() throws Exception {
        var evil = new EvilPeers.Client(AGENT_ID, AGENT_KEY.publicKey().encoded(), BACKEND_KEY.publicKey().keyId(),
                Sessions.seed(0x50), Sessions.seed(0x60), NOW);
        ServerHandshake s = server();
        String m2 = s.onClientHello(evil.m1, Sessions.registry());
        String m3 = evil.clientAuth(m2, AGENT_KEY, Protocol.CONTEXT_SERVER_HANDSHAKE, BACKEND_KEY.publicKey().encoded(),
                AGENT_KEY.publicKey().encoded());
        assertFails(HandshakeException.Reason.BAD_SIGNATURE, () -> s.onClientAuth(m3));
    }

    @Test
    void aClientSignatureOfferedAsTheServerSignatureIsRefused() throws Exception {
        ClientHandshake c = client();
        String m1 = c.clientHello();
        // Signed by the real backend key over the real transcript, but under the client context.
        String m2 = EvilPeers.serverHello(EvilPeers.chOf(m1), EvilPeers.eAOf(m1), BACKEND_KEY,
                Protocol.CONTEXT_CLIENT_HANDSHAKE, AGENT_KEY.publicKey().encoded(), Sessions.seed(0x70), Sessions.seed(0x80));
        assertFails(HandshakeException.Reason.BAD_SIGNATURE, () -> c.onServerHello(m2));
    }

    @Test
    void theEvilServerWithTheRightContextIsAccepted() throws Exception {
        ClientHandshake c = client();
        String m1 = c.clientHello();
        String m2 = EvilPeers.serverHello(EvilPeers.chOf(m1), EvilPeers.eAOf(m1), BACKEND_KEY,
                Protocol.CONTEXT_SERVER_HANDSHAKE, AGENT_KEY.publicKey().encoded(), Sessions.seed(0x70), Sessions.seed(0x80));
        assertThat(c.onServerHello(m2)).contains("client_auth");
    }

    @Test
    void aServerSignatureOverAnotherAgentKeyIsRefused() throws Exception {
        // sigB binds the agent's registered key: a gateway that believes in another key is caught.
        ClientHandshake c = client();
        String m1 = c.clientHello();
        String m2 = EvilPeers.serverHello(EvilPeers.chOf(m1), EvilPeers.eAOf(m1), BACKEND_KEY,
                Protocol.CONTEXT_SERVER_HANDSHAKE, OTHER_KEY.publicKey().encoded(), Sessions.seed(0x70), Sessions.seed(0x80));
        assertFails(HandshakeException.Reason.BAD_SIGNATURE, () -> c.onServerHello(m2));
    }

    @Test
    void aGatewayWithAnUnpinnedKeyIsRefused() throws Exception {
        ClientHandshake c = client();
        String m1 = c.clientHello();
        ServerHandshake s = new ServerHandshake(new ServerHandshake.Config(BackendKeyRing.of(OTHER_KEY), clock, RANDOM,
                Duration.ofMinutes(5), MAX_FRAME));
        String m2 = s.onClientHello(m1, Sessions.registry());
        assertFails(HandshakeException.Reason.UNKNOWN_BACKEND_KEY, () -> c.onServerHello(m2));
    }

    @Test
    void theGatewaySignsWithTheKeyTheAgentAsksForWhenItHoldsIt() {
        var cc = new ClientHandshake.Config(AGENT_ID, AGENT_KEY, PinnedBackendKeys.of(BACKEND_NEXT_KEY.publicKey()),
                clock, RANDOM, MAX_FRAME);
        Sessions.Pair p = Sessions.handshake(Sessions.serverConfig(clock), cc);
        assertThat(p.serverResult().backendKey()).isEqualTo(BACKEND_NEXT_KEY.publicKey());
        assertThat(p.clientResult().backendKey()).isEqualTo(BACKEND_NEXT_KEY.publicKey());
    }

    @Test
    void anAgentAcceptsItsNextPinWhenTheGatewayFallsBackToItsCurrentKey() {
        // The agent asks for a key the gateway does not hold; the gateway uses its current key,
        // which the agent pinned in its second slot.
        var cc = new ClientHandshake.Config(AGENT_ID, AGENT_KEY, PinnedBackendKeys.of(OTHER_KEY.publicKey(),
                BACKEND_KEY.publicKey()), clock, RANDOM, MAX_FRAME);
        Sessions.Pair p = Sessions.handshake(Sessions.serverConfig(clock), cc);
        assertThat(p.clientResult().backendKey()).isEqualTo(BACKEND_KEY.publicKey());
    }

    @Test
    void aServerHelloFromAnotherSessionIsRefused() throws Exception {
        ClientHandshake victim = client();
        victim.clientHello();
        ClientHandshake other = client();
        String otherM2 = server().onClientHello(other.clientHello(), Sessions.registry());
        assertFails(HandshakeException.Reason.DECRYPT_FAILED, () -> victim.onServerHello(otherM2));
    }

    @Test
    void aClientAuthFromAnotherSessionIsRefused() throws Exception {
        // An attacker replays a recorded M1 and M3: the gateway's fresh eB changes every key.
        ClientHandshake c = client();
        String m1 = c.clientHello();
        ServerHandshake original = server();
        String m3 = c.onServerHello(original.onClientHello(m1, Sessions.registry()));

        ServerHandshake replayTarget = server();
        replayTarget.onClientHello(m1, Sessions.registry());
        assertFails(HandshakeException.Reason.DECRYPT_FAILED, () -> replayTarget.onClientAuth(m3));
    }

    @Test
    void everyLowOrderEphemeralIsRefusedByTheGateway() throws Exception {
        String[] lowOrder = {
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        };
        String m1 = client().clientHello();
        for (String hex : lowOrder) {
            for (int high = 0; high < 2; high++) {
                byte[] u = Hex.decode(hex);
                u[31] |= (byte) (high << 7);
                String bad = Frames.edit(m1, n -> n.put("ephemeral_key", EvilPeers.b64(u)));
                assertFails(HandshakeException.Reason.LOW_ORDER_EPHEMERAL, () -> server().receiveClientHello(bad));
            }
        }
    }

    @Test
    void aLowOrderGatewayEphemeralIsRefusedByTheAgent() throws Exception {
        ClientHandshake c = client();
        String m2 = server().onClientHello(c.clientHello(), Sessions.registry());
        String bad = Frames.edit(m2, n -> n.put("backend_key", EvilPeers.b64(new byte[32])));
        assertFails(HandshakeException.Reason.LOW_ORDER_EPHEMERAL, () -> c.onServerHello(bad));
    }

    @Test
    void unknownVersionsAndSuitesAreRefusedWithoutDowngrade() throws Exception {
        String m1 = client().clientHello();
        assertFails(HandshakeException.Reason.UNSUPPORTED_VERSION,
                () -> server().receiveClientHello(Frames.edit(m1, n -> n.put("version", 2))));
        assertFails(HandshakeException.Reason.UNSUPPORTED_VERSION,
                () -> server().receiveClientHello(Frames.edit(m1, n -> n.put("version", 0))));
        assertFails(HandshakeException.Reason.UNSUPPORTED_SUITE,
                () -> server().receiveClientHello(Frames.edit(m1, n -> n.put("suite", "AEGIS1-X25519-ED25519-AES128GCM-SHA256"))));

        ClientHandshake c = client();
        String m2 = server().onClientHello(c.clientHello(), Sessions.registry());
        assertFails(HandshakeException.Reason.UNSUPPORTED_VERSION, () -> c.onServerHello(Frames.edit(m2, n -> n.put("version", 2))));
        ClientHandshake c2 = client();
        String m2b = server().onClientHello(c2.clientHello(), Sessions.registry());
        assertFails(HandshakeException.Reason.UNSUPPORTED_SUITE, () -> c2.onServerHello(Frames.edit(m2b, n -> n.put("suite", "X"))));
    }

    @Test
    void malformedClientHellosAreRefused() throws Exception {
        String m1 = client().clientHello();
        String[] bad = {
            m1 + "{}",
            m1 + " x",
            m1.substring(0, m1.length() - 1) + ",\"extra\":1}",
            m1.substring(0, m1.length() - 1) + ",\"nonce\":\"" + Frames.text(m1, "nonce") + "\"}",
            Frames.edit(m1, n -> n.put("timestamp", "1767225600000")),
            Frames.edit(m1, n -> n.put("timestamp", 1.5e12)),
            Frames.edit(m1, n -> n.put("nonce", EvilPeers.b64(new byte[31]))),
            Frames.edit(m1, n -> n.put("public_key", EvilPeers.b64(new byte[33]))),
            Frames.edit(m1, n -> n.put("backend_key_id", "00112233445566")),
            Frames.edit(m1, n -> n.put("backend_key_id", "00112233445566AA")),
            Frames.edit(m1, n -> n.put("ephemeral_key", Frames.text(m1, "ephemeral_key").replace("=", ""))),
            Frames.edit(m1, n -> n.putNull("agent_id")),
            Frames.edit(m1, n -> n.remove("timestamp")),
            Frames.edit(m1, n -> n.put("type", "server_hello")),
            "[" + m1 + "]",
            "{\"type\":\"client_hello\"," + "\"pad\":\"" + "x".repeat(5000) + "\"}",
        };
        for (String frame : bad) {
            assertFails(HandshakeException.Reason.MALFORMED, () -> server().receiveClientHello(frame));
        }
        assertFails(HandshakeException.Reason.INVALID_AGENT_ID,
                () -> server().receiveClientHello(Frames.edit(m1, n -> n.put("agent_id", "agent with spaces"))));
    }

    @Test
    void clockSkewBeyondTheLimitIsRefused() throws Exception {
        String m1 = client().clientHello();
        clock.advance(Duration.ofMinutes(6));
        assertFails(HandshakeException.Reason.CLOCK_SKEW, () -> server().receiveClientHello(m1));
        clock.advance(Duration.ofMinutes(-2));
        assertThat(server().receiveClientHello(m1).agentId()).isEqualTo(AGENT_ID);
    }

    @Test
    void messagesOutOfOrderAreRefused() throws Exception {
        ClientHandshake c = client();
        String m1 = c.clientHello();
        ServerHandshake s = server();
        assertFails(HandshakeException.Reason.UNEXPECTED_MESSAGE, () -> s.onClientAuth("{\"type\":\"client_auth\"}"));
        // Once failed, always failed.
        assertFails(HandshakeException.Reason.UNEXPECTED_MESSAGE, () -> s.onClientHello(m1, Sessions.registry()));

        ServerHandshake s2 = server();
        s2.onClientHello(m1, Sessions.registry());
        assertFails(HandshakeException.Reason.UNEXPECTED_MESSAGE, () -> s2.onClientHello(m1, Sessions.registry()));

        ServerHandshake s3 = server();
        s3.receiveClientHello(m1);
        assertFails(HandshakeException.Reason.UNEXPECTED_MESSAGE, () -> s3.receiveClientHello(m1));

        ClientHandshake c2 = client();
        assertFails(HandshakeException.Reason.UNEXPECTED_MESSAGE, () -> c2.onServerHello("{}"));
        ClientHandshake c3 = client();
        c3.clientHello();
        assertThatThrownBy(c3::clientHello).isInstanceOf(IllegalStateException.class);
        assertFails(HandshakeException.Reason.UNEXPECTED_MESSAGE, () -> c3.onSessionRecord("{}"));
    }

    @Test
    void aClientAuthSentInPlaceOfTheClientHelloIsNotParsedAsOne() throws Exception {
        assertFails(HandshakeException.Reason.MALFORMED,
                () -> server().receiveClientHello("{\"type\":\"client_auth\",\"sealed\":\"" + EvilPeers.b64(new byte[80]) + "\"}"));
    }

    @Test
    void tamperedServerHellosAreRefused() throws Exception {
        for (String field : new String[] {"nonce", "sealed"}) {
            ClientHandshake c = client();
            String m2 = server().onClientHello(c.clientHello(), Sessions.registry());
            byte[] v = io.aegis.protocol.crypto.StrictBase64.decode(Frames.text(m2, field));
            v[v.length - 1] ^= 1;
            String bad = Frames.edit(m2, n -> n.put(field, EvilPeers.b64(v)));
            assertFails(HandshakeException.Reason.DECRYPT_FAILED, () -> c.onServerHello(bad));
        }
    }

    @Test
    void tamperedClientAuthIsRefused() throws Exception {
        ClientHandshake c = client();
        ServerHandshake s = server();
        String m3 = c.onServerHello(s.onClientHello(c.clientHello(), Sessions.registry()));
        byte[] v = io.aegis.protocol.crypto.StrictBase64.decode(Frames.text(m3, "sealed"));
        v[3] ^= 0x40;
        assertFails(HandshakeException.Reason.DECRYPT_FAILED,
                () -> s.onClientAuth(Frames.edit(m3, n -> n.put("sealed", EvilPeers.b64(v)))));
    }

    @Test
    void theAgentRecognisesTheGenericFailureFrame() throws Exception {
        ClientHandshake c = client();
        c.clientHello();
        assertFails(HandshakeException.Reason.REJECTED_BY_SERVER, () -> c.onServerHello(ServerHandshake.FAILURE_FRAME));

        ClientHandshake c2 = client();
        ServerHandshake s = server();
        c2.onServerHello(s.onClientHello(c2.clientHello(), Sessions.registry()));
        assertFails(HandshakeException.Reason.REJECTED_BY_SERVER, () -> c2.onSessionRecord(ServerHandshake.FAILURE_FRAME));
    }

    @Test
    void aSessionRecordThatDoesNotMatchTheHandshakeIsRefused() throws Exception {
        ClientHandshake c = client();
        ServerHandshake s = server();
        String m3 = c.onServerHello(s.onClientHello(c.clientHello(), Sessions.registry()));
        ServerHandshake.Established est = s.onClientAuth(m3);
        // A correct record layer, but the body names another ephemeral key.
        var wrong = AuthenticationResponse.success(new byte[32], "t", 1, est.sessionId());
        var msg = est.channel().seal(Protocol.SESSION_RECORD_ID, MessageTypes.SESSION, Protocol.CONTROL_CHANNEL, Map.of(),
                WireJson.encode(wrong).getBytes(StandardCharsets.UTF_8));
        assertFails(HandshakeException.Reason.BAD_SESSION_RECORD, () -> c.onSessionRecord(WireJson.encode(msg)));
    }

    @Test
    void theFirstGatewayRecordMustBeTheSessionRecord() throws Exception {
        ClientHandshake c = client();
        ServerHandshake s = server();
        ServerHandshake.Established est = s.onClientAuth(c.onServerHello(s.onClientHello(c.clientHello(), Sessions.registry())));
        assertThatThrownBy(() -> est.channel().seal("x", MessageTypes.EVENT, "events", new byte[] {'1'}))
                .isInstanceOf(IllegalStateException.class);
        String frame = est.sessionRecord("tok", 10);
        assertThatThrownBy(() -> est.sessionRecord("tok", 10)).isInstanceOf(IllegalStateException.class);
        assertThat(c.onSessionRecord(frame).response().expiresAt()).isEqualTo(10);
    }

    @Test
    void authenticationResponsesDecodeStrictly() throws Exception {
        var ok = AuthenticationResponse.success(new byte[32], "tok", 5, new byte[16]);
        String json = WireJson.encode(ok);
        assertThat(json).isEqualTo("{\"success\":true,\"backend_key\":\"" + EvilPeers.b64(new byte[32])
                + "\",\"session_token\":\"tok\",\"expires_at\":5,\"session_id\":\"" + "00".repeat(16)
                + "\",\"protocol_version\":1}");
        assertThat(WireJson.decodeAuthenticationResponse(json)).isEqualTo(ok);
        assertThat(WireJson.decodeAuthenticationResponse(ServerHandshake.FAILURE_FRAME).success()).isFalse();
        for (String bad : new String[] {
            "{\"success\":false}",
            "{\"success\":false,\"message\":\"x\",\"session_token\":\"t\"}",
            json.replace(",\"protocol_version\":1", ""),
            json.replace("}", ",\"message\":\"hi\"}"),
            json.replace("\"tok\"", "\"to k\""),
            "{\"success\":\"true\"}",
        }) {
            assertThatThrownBy(() -> WireJson.decodeAuthenticationResponse(bad)).as(bad)
                    .isInstanceOf(io.aegis.protocol.WireFormatException.class);
        }
    }
}
