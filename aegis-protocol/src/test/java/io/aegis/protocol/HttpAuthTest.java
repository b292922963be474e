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
}
