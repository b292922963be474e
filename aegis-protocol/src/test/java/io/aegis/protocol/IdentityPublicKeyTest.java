package io.aegis.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.Sha256;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.testing.EdwardsMath;
import io.aegis.protocol.testing.EdwardsMath.Point;
import io.aegis.protocol.testing.Sessions;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class IdentityPublicKeyTest {

    /** The eight points of order dividing 8, canonical encodings. */
    static final String[] SMALL_ORDER = {
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    };

    @Test
    void generatedKeysParseAndHaveTheirKeyId() {
        IdentityPublicKey k = Sessions.AGENT_KEY.publicKey();
        byte[] enc = k.encoded();
        assertThat(IdentityPublicKey.parse(enc)).isEqualTo(k);
        assertThat(IdentityPublicKey.parseBase64(k.base64())).isEqualTo(k);
        assertThat(k.keyId()).isEqualTo(Arrays.copyOf(Sha256.hash(enc), 8));
        assertThat(k.keyIdHex()).hasSize(16).isEqualTo(Hex.encode(k.keyId()));
    }

    @Test
    void aKeyFromTheTrustedStoreVerifiesLikeAParsedOne() {
        IdentityPublicKey parsed = Sessions.AGENT_KEY.publicKey();
        IdentityPublicKey trusted = IdentityPublicKey.fromTrustedStore(parsed.encoded());
        assertThat(trusted).isEqualTo(parsed);
        byte[] message = "hello".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] signature = Sessions.AGENT_KEY.sign(message);
        assertThat(trusted.verify(message, signature)).isTrue();
        signature[0] ^= 1;
        assertThat(trusted.verify(message, signature)).isFalse();
        assertThatThrownBy(() -> IdentityPublicKey.fromTrustedStore(new byte[31]))
            .isInstanceOf(InvalidKeyException.class);
    }

    @Test
    void everySmallOrderPointIsRefused() {
        int identities = 0;
        for (String hex : SMALL_ORDER) {
            byte[] enc = Hex.decode(hex);
            // Independent check of the list: on the curve, and eight times it is the identity.
            Point p = EdwardsMath.decodeLenient(enc);
            assertThat(p).as(hex).isNotNull();
            assertThat(EdwardsMath.onCurve(p)).isTrue();
            assertThat(EdwardsMath.multiply(BigInteger.valueOf(8), p).isIdentity()).as(hex).isTrue();
            assertThat(EdwardsMath.encode(p)).as("canonical " + hex).isEqualTo(enc);
            identities += p.isIdentity() ? 1 : 0;
            assertThatThrownBy(() -> IdentityPublicKey.parse(enc)).as(hex)
                    .isInstanceOfSatisfying(InvalidKeyException.class,
                            e -> assertThat(e.reason()).isEqualTo(InvalidKeyException.Reason.SMALL_ORDER));
        }
        assertThat(identities).isEqualTo(1);
    }

    @Test
    void keysWithASmallOrderComponentAreRefused() {
        Point a = EdwardsMath.decodeLenient(Sessions.AGENT_KEY.publicKey().encoded());
        Point t = EdwardsMath.decodeLenient(Hex.decode(SMALL_ORDER[4]));
        byte[] mixed = EdwardsMath.encode(EdwardsMath.add(a, t));
        assertThatThrownBy(() -> IdentityPublicKey.parse(mixed))
                .isInstanceOfSatisfying(InvalidKeyException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidKeyException.Reason.MIXED_ORDER));
    }

    @Test
    void nonCanonicalEncodingsAreRefused() {
        // y = p (≡ 0), y = p + 1 (≡ 1, the identity), y = 2^255 - 1.
        for (String hex : new String[] {
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0100000000000000000000000000000000000000000000000000000000000080", // identity, x = 0 with sign bit
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // order 2, x = 0 with sign bit
        }) {
            assertThatThrownBy(() -> IdentityPublicKey.parse(Hex.decode(hex))).as(hex)
                    .isInstanceOfSatisfying(InvalidKeyException.class,
                            e -> assertThat(e.reason()).isEqualTo(InvalidKeyException.Reason.NON_CANONICAL));
        }
    }

    @Test
    void pointsOffTheCurveAreRefused() {
        byte[] off = null;
        for (int y = 2; off == null; y++) {
            byte[] candidate = EdwardsMath.le(BigInteger.valueOf(y));
            if (EdwardsMath.decodeLenient(candidate) == null) {
                off = candidate;
            }
        }
        byte[] enc = off;
        assertThatThrownBy(() -> IdentityPublicKey.parse(enc))
                .isInstanceOfSatisfying(InvalidKeyException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidKeyException.Reason.NOT_ON_CURVE));
    }

    @Test
    void wrongLengthsAndBadTextAreRefused() {
        assertThatThrownBy(() -> IdentityPublicKey.parse(new byte[31])).isInstanceOfSatisfying(InvalidKeyException.class,
                e -> assertThat(e.reason()).isEqualTo(InvalidKeyException.Reason.WRONG_LENGTH));
        assertThatThrownBy(() -> IdentityPublicKey.parse(new byte[33])).isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> IdentityPublicKey.parse(null)).isInstanceOf(InvalidKeyException.class);
        String b64 = Sessions.AGENT_KEY.publicKey().base64();
        assertThatThrownBy(() -> IdentityPublicKey.parseBase64(b64.substring(0, 43)))
                .isInstanceOfSatisfying(InvalidKeyException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidKeyException.Reason.MALFORMED));
        assertThatThrownBy(() -> IdentityPublicKey.parseBase64(" " + b64)).isInstanceOf(InvalidKeyException.class);
    }

    @Test
    void signaturesWithSAboveTheGroupOrderAreRefused() {
        byte[] msg = "command".getBytes(StandardCharsets.UTF_8);
        byte[] sig = Sessions.BACKEND_KEY.sign(msg);
        IdentityPublicKey pub = Sessions.BACKEND_KEY.publicKey();
        assertThat(pub.verify(msg, sig)).isTrue();
        // S + L encodes the same scalar mod L: a lax verifier accepts it (malleability).
        BigInteger s = EdwardsMath.le(Arrays.copyOfRange(sig, 32, 64));
        byte[] malleable = sig.clone();
        System.arraycopy(EdwardsMath.le(s.add(EdwardsMath.L)), 0, malleable, 32, 32);
        assertThat(pub.verify(msg, malleable)).isFalse();
        // S = L exactly, and S with the top bits set.
        byte[] sEqualsL = sig.clone();
        System.arraycopy(EdwardsMath.le(EdwardsMath.L), 0, sEqualsL, 32, 32);
        assertThat(pub.verify(msg, sEqualsL)).isFalse();
    }

    @Test
    void signaturesWithNonCanonicalRAreRefused() {
        byte[] msg = "command".getBytes(StandardCharsets.UTF_8);
        byte[] sig = Sessions.BACKEND_KEY.sign(msg);
        IdentityPublicKey pub = Sessions.BACKEND_KEY.publicKey();
        // R with y ≥ p, and R = the identity encoded with the sign bit set.
        for (String r : new String[] {
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0100000000000000000000000000000000000000000000000000000000000080",
        }) {
            byte[] bad = sig.clone();
            System.arraycopy(Hex.decode(r), 0, bad, 0, 32);
            assertThat(pub.verify(msg, bad)).isFalse();
        }
        // R replaced by the non-canonical alias (y + p) where one exists: construct a key-less check
        // that an alias of a valid R is refused. y + p < 2^255 only for y < 19: R = identity (y = 1).
        byte[] aliasOfIdentity = Hex.decode("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        byte[] bad = sig.clone();
        System.arraycopy(aliasOfIdentity, 0, bad, 0, 32);
        assertThat(pub.verify(msg, bad)).isFalse();
        assertThat(pub.verify(msg, Arrays.copyOf(sig, 63))).isFalse();
    }

    @Test
    void base64FormRoundTripsStrictly() {
        IdentityPublicKey k = Sessions.BACKEND_KEY.publicKey();
        assertThat(StrictBase64.decode(k.base64())).isEqualTo(k.encoded());
        assertThat(k.toString()).contains(k.keyIdHex());
    }
}
