package io.aegis.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.testing.Sessions;
import io.aegis.protocol.testing.SpecMath;
import org.junit.jupiter.api.Test;

class HttpAuthTest {

    private static final String NONCE = "q1w2e3r4t5y6u7i8o9p0-_AZ";

    @Test
    void canonicalBytesAreTheDocumentedOnes() {
        assertThat(HttpAuth.canonical(Sessions.AGENT_ID, 1234, NONCE))
                .isEqualTo(SpecMath.httpAuthInput(Sessions.AGENT_ID, 1234, NONCE));
    }

    @Test
    void signAndVerify() {
        byte[] sig = HttpAuth.sign(Sessions.AGENT_KEY, Sessions.AGENT_ID, 1234, NONCE);
        IdentityPublicKey pub = Sessions.AGENT_KEY.publicKey();
        assertThat(HttpAuth.verify(pub, Sessions.AGENT_ID, 1234, NONCE, sig)).isTrue();
        assertThat(HttpAuth.verify(pub, Sessions.AGENT_ID, 1235, NONCE, sig)).isFalse();
        assertThat(HttpAuth.verify(pub, Sessions.AGENT_ID, 1234, NONCE + "x", sig)).isFalse();
        assertThat(HttpAuth.verify(pub, "someone-else", 1234, NONCE, sig)).isFalse();
        assertThat(HttpAuth.verify(Sessions.OTHER_KEY.publicKey(), Sessions.AGENT_ID, 1234, NONCE, sig)).isFalse();
        // Not usable as a handshake signature.
        assertThat(pub.verify(Protocol.CONTEXT_CLIENT_HANDSHAKE, new byte[32], sig)).isFalse();
    }

    @Test
    void noncesAreChecked() {
        assertThat(HttpAuth.nonceError("a".repeat(15))).contains("16..64");
        assertThat(HttpAuth.nonceError("a".repeat(65))).contains("16..64");
        assertThat(HttpAuth.nonceError("aaaaaaaaaaaaaaa!")).contains("index 15");
        assertThat(HttpAuth.nonceError("abcdABCD0123+/=_-x")).isNull();
        assertThatThrownBy(() -> HttpAuth.canonical(Sessions.AGENT_ID, 1, "short")).isInstanceOf(IllegalArgumentException.class);
        assertThat(HttpAuth.verify(Sessions.AGENT_KEY.publicKey(), Sessions.AGENT_ID, 1, "short", new byte[64])).isFalse();
    }

    @Test
    void aSessionRequestSignatureCoversTheEphemeralKeyAndIsNoPlainAuthSignature() {
        byte[] eA = new byte[32];
        eA[0] = 9;
        byte[] other = eA.clone();
        other[1] = 1;
        IdentityPublicKey pub = Sessions.AGENT_KEY.publicKey();
        byte[] sig = HttpAuth.signSessionRequest(Sessions.AGENT_KEY, Sessions.AGENT_ID, 1234, NONCE, eA);
        assertThat(HttpAuth.verifySessionRequest(pub, Sessions.AGENT_ID, 1234, NONCE, eA, sig)).isTrue();
        // Whoever swaps the ephemeral key (a TLS-terminating proxy) breaks the signature.
        assertThat(HttpAuth.verifySessionRequest(pub, Sessions.AGENT_ID, 1234, NONCE, other, sig)).isFalse();
        // The two kinds of request signature never stand in for each other.
        assertThat(HttpAuth.verify(pub, Sessions.AGENT_ID, 1234, NONCE, sig)).isFalse();
        byte[] plain = HttpAuth.sign(Sessions.AGENT_KEY, Sessions.AGENT_ID, 1234, NONCE);
        assertThat(HttpAuth.verifySessionRequest(pub, Sessions.AGENT_ID, 1234, NONCE, eA, plain)).isFalse();
        assertThat(HttpAuth.verifySessionRequest(pub, Sessions.AGENT_ID, 1234, NONCE, new byte[31], sig)).isFalse();
        assertThat(HttpAuth.sessionRequestCanonical(Sessions.AGENT_ID, 1234, NONCE, eA)).isEqualTo(SpecMath.signInput(
                "Aegis 1, http session request", SpecMath.sha256(SpecMath.bytes().vec16(Sessions.AGENT_ID).u64(1234)
                        .vec16(NONCE).raw(eA).bytes())));
    }

    @Test
    void aNamedBackendKeyIsAppendedToTheSignedDigestOnlyWhenPresent() {
        byte[] eA = new byte[32];
        eA[0] = 9;
        byte[] keyId = Sessions.OTHER_KEY.publicKey().keyId();
        IdentityPublicKey pub = Sessions.AGENT_KEY.publicKey();
        assertThat(HttpAuth.sessionRequestCanonical(Sessions.AGENT_ID, 1234, NONCE, eA, null))
                .isEqualTo(HttpAuth.sessionRequestCanonical(Sessions.AGENT_ID, 1234, NONCE, eA));
        assertThat(HttpAuth.sessionRequestCanonical(Sessions.AGENT_ID, 1234, NONCE, eA, keyId)).isEqualTo(
                SpecMath.signInput("Aegis 1, http session request", SpecMath.sha256(SpecMath.bytes()
                        .vec16(Sessions.AGENT_ID).u64(1234).vec16(NONCE).raw(eA).raw(keyId).bytes())));
        byte[] sig = HttpAuth.signSessionRequest(Sessions.AGENT_KEY, Sessions.AGENT_ID, 1234, NONCE, eA, keyId);
        assertThat(HttpAuth.verifySessionRequest(pub, Sessions.AGENT_ID, 1234, NONCE, eA, keyId, sig)).isTrue();
        // Stripping, adding or changing the key id breaks the signature.
        assertThat(HttpAuth.verifySessionRequest(pub, Sessions.AGENT_ID, 1234, NONCE, eA, sig)).isFalse();
        byte[] plain = HttpAuth.signSessionRequest(Sessions.AGENT_KEY, Sessions.AGENT_ID, 1234, NONCE, eA);
        assertThat(HttpAuth.verifySessionRequest(pub, Sessions.AGENT_ID, 1234, NONCE, eA, keyId, plain)).isFalse();
        assertThat(HttpAuth.verifySessionRequest(pub, Sessions.AGENT_ID, 1234, NONCE, eA,
                Sessions.AGENT_KEY.publicKey().keyId(), sig)).isFalse();
        assertThat(HttpAuth.verifySessionRequest(pub, Sessions.AGENT_ID, 1234, NONCE, eA, new byte[7], sig)).isFalse();
        assertThatThrownBy(() -> HttpAuth.sessionRequestCanonical(Sessions.AGENT_ID, 1234, NONCE, eA, new byte[9]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
