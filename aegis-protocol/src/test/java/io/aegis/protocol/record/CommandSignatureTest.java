package io.aegis.protocol.record;

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

import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.testing.MutableClock;
import io.aegis.protocol.testing.Sessions;
import io.aegis.protocol.testing.SpecMath;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandSignatureTest {

    private static final String OTHER_AGENT = "agent-b";
    private static final byte[] BODY = "{\"policy\":\"v7\"}".getBytes(StandardCharsets.UTF_8);

    private final MutableClock clock = new MutableClock(NOW);
    private final CommandSigner backend = CommandSigner.backend(BACKEND_KEY);

    private CommandVerifier verifier(String agentId) {
        return new CommandVerifier(agentId, PinnedBackendKeys.of(BACKEND_KEY.publicKey(), BACKEND_NEXT_KEY.publicKey()),
                clock, 100);
    }

    private Sessions.Pair sessionOf(String agentId, io.aegis.protocol.IdentityKeyPair key) {
        var cc = new ClientHandshake.Config(agentId, key, PinnedBackendKeys.of(BACKEND_KEY.publicKey()), clock, RANDOM,
                MAX_FRAME);
        return Sessions.handshake(Sessions.serverConfig(clock), cc,
                id -> id.equals(AGENT_ID) ? AGENT_KEY.publicKey() : id.equals(OTHER_AGENT) ? OTHER_KEY.publicKey() : null);
    }

    @Test
    void oneBroadcastSignatureIsSealedIntoTwoSessionsAndVerifiesInBoth() throws Exception {
        SignedCommand cmd = backend.broadcast("bc-1", "request", "policies", NOW + 60_000, BODY);
        Sessions.Pair a = sessionOf(AGENT_ID, AGENT_KEY);
        Sessions.Pair b = sessionOf(OTHER_AGENT, OTHER_KEY);
        SecureMessage toA = a.server().seal(cmd, Map.of("priority", "high"));
        SecureMessage toB = b.server().seal(cmd, Map.of());
        assertThat(toA.payload()).isNotEqualTo(toB.payload());

        OpenedRecord atA = a.client().open(WireJson.encode(toA));
        OpenedRecord atB = b.client().open(WireJson.encode(toB));
        assertThat(atA.signed()).isEqualTo(cmd.block()).isEqualTo(atB.signed());
        assertThat(verifier(AGENT_ID).verify(atA)).isEqualTo(VerificationResult.ACCEPTED);
        assertThat(verifier(OTHER_AGENT).verify(atB)).isEqualTo(VerificationResult.ACCEPTED);
    }

    @Test
    void aTargetedCommandIsAcceptedOnlyByItsAgent() {
        SignedCommand cmd = backend.toAgent(AGENT_ID, "c-1", "request", "commands", 0, BODY);
        assertThat(cmd.block().audience()).isEqualTo("agent:" + AGENT_ID);
        assertThat(verify(verifier(AGENT_ID), cmd)).isEqualTo(VerificationResult.ACCEPTED);
        assertThat(verify(verifier(OTHER_AGENT), cmd)).isEqualTo(VerificationResult.MISADDRESSED);
    }

    private static VerificationResult verify(CommandVerifier v, SignedCommand c) {
        return v.verify(c.id(), c.type(), c.channel(), c.body(), c.block());
    }

    @Test
    void expiredCommandsAreRefused() {
        CommandVerifier v = verifier(AGENT_ID);
        assertThat(verify(v, backend.broadcast("e-1", "request", "commands", NOW - 1, BODY))).isEqualTo(VerificationResult.EXPIRED);
        assertThat(verify(v, backend.broadcast("e-2", "request", "commands", NOW, BODY))).isEqualTo(VerificationResult.EXPIRED);
        assertThat(verify(v, backend.broadcast("e-3", "request", "commands", NOW + 1, BODY))).isEqualTo(VerificationResult.ACCEPTED);
    }

    @Test
    void aReplayedCommandIsRefusedEvenInANewSession() throws Exception {
        CommandVerifier v = verifier(AGENT_ID);
        SignedCommand cmd = backend.toAgent(AGENT_ID, "c-7", "request", "commands", NOW + 60_000, BODY);
        Sessions.Pair first = sessionOf(AGENT_ID, AGENT_KEY);
        assertThat(v.verify(first.client().open(first.server().seal(cmd, Map.of())))).isEqualTo(VerificationResult.ACCEPTED);
        Sessions.Pair second = sessionOf(AGENT_ID, AGENT_KEY);
        assertThat(v.verify(second.client().open(second.server().seal(cmd, Map.of())))).isEqualTo(VerificationResult.REPLAYED);
    }

    @Test
    void wrongSignersAndBadSignaturesAreRefused() {
        CommandVerifier v = verifier(AGENT_ID);
        SignedCommand byStranger = CommandSigner.backend(OTHER_KEY).broadcast("w-1", "request", "commands", 0, BODY);
        assertThat(verify(v, byStranger)).isEqualTo(VerificationResult.UNKNOWN_SIGNER);

        SignedCommand real = backend.broadcast("w-2", "request", "commands", 0, BODY);
        assertThat(v.verify("w-2", "request", "commands", "{\"policy\":\"v8\"}".getBytes(StandardCharsets.UTF_8),
                real.block())).isEqualTo(VerificationResult.BAD_SIGNATURE);
        assertThat(v.verify("w-3", "request", "commands", BODY, real.block())).isEqualTo(VerificationResult.BAD_SIGNATURE);
        assertThat(v.verify("w-2", "event", "commands", BODY, real.block())).isEqualTo(VerificationResult.BAD_SIGNATURE);
        assertThat(v.verify("w-2", "request", "other", BODY, real.block())).isEqualTo(VerificationResult.BAD_SIGNATURE);
        // The audience and expiry are signed too: relabelling a targeted command as a broadcast fails.
        SignedCommand targeted = backend.toAgent(OTHER_AGENT, "w-4", "request", "commands", 0, BODY);
        SignedBlock relabelled = new SignedBlock(targeted.block().signerKeyId(), 0, "*", targeted.block().signature());
        assertThat(v.verify("w-4", "request", "commands", BODY, relabelled)).isEqualTo(VerificationResult.BAD_SIGNATURE);
        SignedBlock extended = new SignedBlock(real.block().signerKeyId(), NOW + 1, "*", real.block().signature());
        assertThat(v.verify("w-2", "request", "commands", BODY, extended)).isEqualTo(VerificationResult.BAD_SIGNATURE);
        assertThat(v.verify("w-5", "request", "commands", BODY, null)).isEqualTo(VerificationResult.UNSIGNED);
    }

    @Test
    void aBackendSignatureUnderAnotherContextIsRefused() {
        byte[] d = CommandSigner.digest("x-1", "request", "commands", "*", 0, BODY);
        byte[] sig = BACKEND_KEY.sign(Protocol.CONTEXT_AGENT_MESSAGE, d);
        SignedBlock block = new SignedBlock(BACKEND_KEY.publicKey().keyId(), 0, "*", sig);
        assertThat(verifier(AGENT_ID).verify("x-1", "request", "commands", BODY, block))
                .isEqualTo(VerificationResult.BAD_SIGNATURE);
    }

    @Test
    void theSeenSetForgetsExpiredIdsAndEvictsWhenFull() {
        CommandVerifier v = new CommandVerifier(AGENT_ID, PinnedBackendKeys.of(BACKEND_KEY.publicKey()), clock, 2);
        assertThat(verify(v, backend.broadcast("s-1", "request", "commands", NOW + 1000, BODY))).isEqualTo(VerificationResult.ACCEPTED);
        assertThat(verify(v, backend.broadcast("s-2", "request", "commands", 0, BODY))).isEqualTo(VerificationResult.ACCEPTED);
        assertThat(v.size()).isEqualTo(2);
        // Full: the earliest expiry (s-1) goes first.
        assertThat(verify(v, backend.broadcast("s-3", "request", "commands", 0, BODY))).isEqualTo(VerificationResult.ACCEPTED);
        assertThat(v.evictions()).isEqualTo(1);
        assertThat(verify(v, backend.broadcast("s-2", "request", "commands", 0, BODY))).isEqualTo(VerificationResult.REPLAYED);

        CommandVerifier w = new CommandVerifier(AGENT_ID, PinnedBackendKeys.of(BACKEND_KEY.publicKey()), clock, 10);
        verify(w, backend.broadcast("t-1", "request", "commands", NOW + 1000, BODY));
        clock.advance(Duration.ofSeconds(2));
        verify(w, backend.broadcast("t-2", "request", "commands", 0, BODY));
        assertThat(w.size()).isEqualTo(1);
        assertThat(w.evictions()).isZero();
    }

    @Test
    void signersRefuseAudiencesThatDoNotFitTheirRole() {
        assertThatThrownBy(() -> backend.sign("a", "request", "commands", "backend", 0, BODY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> backend.sign("a", "request", "commands", "agent:bad id", 0, BODY)).isInstanceOf(IllegalArgumentException.class);
        CommandSigner agent = CommandSigner.agent(AGENT_KEY);
        assertThatThrownBy(() -> agent.sign("a", "event", "events", "*", 0, BODY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> agent.sign("a", "event", "events", "backend", 5, BODY)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void signedAgentMessagesVerifyAgainstTheRegisteredKeyOnly() throws Exception {
        CommandSigner agent = CommandSigner.agent(AGENT_KEY);
        SignedCommand msg = agent.agentMessage("ev-1", "event", "events", BODY);
        Sessions.Pair p = sessionOf(AGENT_ID, AGENT_KEY);
        OpenedRecord r = p.server().open(p.client().seal(msg, Map.of()));
        assertThat(AgentMessageVerifier.verify(r, AGENT_KEY.publicKey())).isEqualTo(VerificationResult.ACCEPTED);
        assertThat(AgentMessageVerifier.verify(r, OTHER_KEY.publicKey())).isEqualTo(VerificationResult.UNKNOWN_SIGNER);
        assertThat(AgentMessageVerifier.verify("ev-2", "event", "events", BODY, msg.block(), AGENT_KEY.publicKey()))
                .isEqualTo(VerificationResult.BAD_SIGNATURE);
        assertThat(AgentMessageVerifier.verify("ev-1", "event", "events", BODY, null, AGENT_KEY.publicKey()))
                .isEqualTo(VerificationResult.UNSIGNED);
        // A backend command block offered as an agent message is misaddressed.
        SignedCommand cmd = backend.broadcast("ev-1", "event", "events", 0, BODY);
        assertThat(AgentMessageVerifier.verify("ev-1", "event", "events", BODY, cmd.block(), BACKEND_KEY.publicKey()))
                .isEqualTo(VerificationResult.MISADDRESSED);
        // The agent context is bound: an agent-key signature under the command context fails.
        byte[] d = CommandSigner.digest("ev-3", "event", "events", "backend", 0, BODY);
        SignedBlock wrongContext = new SignedBlock(AGENT_KEY.publicKey().keyId(), 0, "backend",
                AGENT_KEY.sign(Protocol.CONTEXT_COMMAND, d));
        assertThat(AgentMessageVerifier.verify("ev-3", "event", "events", BODY, wrongContext, AGENT_KEY.publicKey()))
                .isEqualTo(VerificationResult.BAD_SIGNATURE);
    }

    @Test
    void theDigestIsTheDocumentedOne() {
        assertThat(CommandSigner.digest("i", "request", "c", "*", 7, BODY))
                .isEqualTo(SpecMath.commandDigest("i", "request", "c", "*", 7, BODY));
    }
}
