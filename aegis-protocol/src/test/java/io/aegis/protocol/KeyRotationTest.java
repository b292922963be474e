package io.aegis.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.testing.Sessions;
import io.aegis.protocol.testing.SpecMath;
import org.junit.jupiter.api.Test;

class KeyRotationTest {
    static final IdentityKeyPair OLD = Sessions.AGENT_KEY;
    static final IdentityKeyPair NEW = Sessions.OTHER_KEY;
    static final String ID = Sessions.AGENT_ID;
    static final long TS = Sessions.NOW;

    @Test
    void canonicalBytesAreTheDocumentedOnes() {
        assertThat(KeyRotation.canonical(ID, OLD.publicKey(), NEW.publicKey(), TS))
                .isEqualTo(SpecMath.keyRotationInput(ID, OLD.publicKey().encoded(), NEW.publicKey().encoded(), TS));
    }

    @Test
    void bothKeysSignAndBothSignaturesVerify() {
        KeyRotation.Signatures s = KeyRotation.sign(ID, OLD, NEW, TS);
        assertThat(KeyRotation.verifyOld(ID, OLD.publicKey(), NEW.publicKey(), TS, s.oldKeySignature())).isTrue();
        assertThat(KeyRotation.verifyNew(ID, OLD.publicKey(), NEW.publicKey(), TS, s.newKeySignature())).isTrue();
    }

    @Test
    void eachSignatureProvesOnlyItsOwnKey() {
        KeyRotation.Signatures s = KeyRotation.sign(ID, OLD, NEW, TS);
        // Swapped: the new key's signature does not pass as the old key's, nor the reverse.
        assertThat(KeyRotation.verifyOld(ID, OLD.publicKey(), NEW.publicKey(), TS, s.newKeySignature())).isFalse();
        assertThat(KeyRotation.verifyNew(ID, OLD.publicKey(), NEW.publicKey(), TS, s.oldKeySignature())).isFalse();
        // A third key cannot stand in for either.
        IdentityKeyPair third = Sessions.BACKEND_NEXT_KEY;
        byte[] byThird = third.sign(KeyRotation.canonical(ID, OLD.publicKey(), NEW.publicKey(), TS));
        assertThat(KeyRotation.verifyOld(ID, OLD.publicKey(), NEW.publicKey(), TS, byThird)).isFalse();
        assertThat(KeyRotation.verifyNew(ID, OLD.publicKey(), NEW.publicKey(), TS, byThird)).isFalse();
    }

    @Test
    void signaturesAreBoundToTheAgentBothKeysAndTheTimestamp() {
        KeyRotation.Signatures s = KeyRotation.sign(ID, OLD, NEW, TS);
        byte[] o = s.oldKeySignature();
        assertThat(KeyRotation.verifyOld("someone-else", OLD.publicKey(), NEW.publicKey(), TS, o)).isFalse();
        assertThat(KeyRotation.verifyOld(ID, OLD.publicKey(), NEW.publicKey(), TS + 1, o)).isFalse();
        assertThat(KeyRotation.verifyOld(ID, OLD.publicKey(), Sessions.BACKEND_NEXT_KEY.publicKey(), TS, o)).isFalse();
        assertThat(KeyRotation.verifyOld(ID, OLD.publicKey(), NEW.publicKey(), -1, o)).isFalse();
        assertThat(KeyRotation.verifyOld(ID, OLD.publicKey(), NEW.publicKey(), TS, null)).isFalse();
        assertThat(KeyRotation.verifyOld(ID, OLD.publicKey(), NEW.publicKey(), TS, new byte[63])).isFalse();
        // Not usable for any other purpose of the same key.
        assertThat(OLD.publicKey().verify(Protocol.CONTEXT_HTTP_AUTH,
                KeyRotation.digest(ID, OLD.publicKey(), NEW.publicKey(), TS), o)).isFalse();
        assertThatThrownBy(() -> KeyRotation.canonical("bad id!", OLD.publicKey(), NEW.publicKey(), TS))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
