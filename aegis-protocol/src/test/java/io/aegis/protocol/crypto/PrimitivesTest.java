package io.aegis.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.testing.Sessions;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

/** Our primitives against their RFCs' published test vectors, and the strict encodings. */
class PrimitivesTest {

    @Test
    void hkdfMatchesRfc5869TestCase1() {
        byte[] ikm = Hex.decode("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] salt = Hex.decode("000102030405060708090a0b0c");
        byte[] info = Hex.decode("f0f1f2f3f4f5f6f7f8f9");
        byte[] prk = Hkdf.extract(salt, ikm);
        assertThat(Hex.encode(prk)).isEqualTo("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
        assertThat(Hex.encode(Hkdf.expand(prk, info, 42))).isEqualTo(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void hkdfWithEmptySaltMatchesRfc5869TestCase3() {
        byte[] ikm = Hex.decode("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] prk = Hkdf.extract(new byte[0], ikm);
        assertThat(Hex.encode(prk)).isEqualTo("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
        assertThat(Hex.encode(Hkdf.expand(prk, new byte[0], 42))).isEqualTo(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    }

    @Test
    void expandLabelInfoIsLengthLabelContext() {
        byte[] info = Hkdf.labelInfo("key", new byte[0], 32);
        assertThat(Hex.encode(info)).isEqualTo("0020" + "0a" + Hex.encode("aegis1 key".getBytes(StandardCharsets.US_ASCII)) + "00");
    }

    @Test
    void x25519MatchesRfc7748() {
        byte[] alicePriv = Hex.decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPriv = Hex.decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        assertThat(Hex.encode(X25519.publicKey(alicePriv)))
                .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assertThat(Hex.encode(X25519.publicKey(bobPriv)))
                .isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        assertThat(Hex.encode(X25519.agree(alicePriv, X25519.publicKey(bobPriv))))
                .isEqualTo("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    }

    @Test
    void ed25519MatchesRfc8032Test1() {
        IdentityKeyPair k = IdentityKeyPair.fromSeed(
                Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        assertThat(Hex.encode(k.publicKey().encoded()))
                .isEqualTo("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        byte[] sig = k.sign(new byte[0]);
        assertThat(Hex.encode(sig)).isEqualTo("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
                + "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
        assertThat(k.publicKey().verify(new byte[0], sig)).isTrue();
    }

    @Test
    void everyLowOrderX25519EncodingIsRefusedAndReallyIsLowOrder() {
        String[] lowOrder = {
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        };
        SecureRandom random = new SecureRandom();
        for (String hex : lowOrder) {
            byte[] u = Hex.decode(hex);
            byte[] high = u.clone();
            high[31] |= (byte) 0x80;
            for (byte[] candidate : new byte[][] {u, high}) {
                assertThat(X25519.isLowOrder(candidate)).as(Hex.encode(candidate)).isTrue();
                // Independent proof of low order: every (clamped, so multiple of 8) scalar maps it to zero.
                assertThat(X25519.agree(X25519.generatePrivate(random), candidate)).as(Hex.encode(candidate)).isNull();
            }
        }
        assertThat(X25519.isLowOrder(X25519.publicKey(X25519.generatePrivate(random)))).isFalse();
    }

    @Test
    void signaturesUnderOneContextNeverVerifyUnderAnother() {
        byte[] digest = Sha256.hash("transcript".getBytes(StandardCharsets.UTF_8));
        byte[] clientSig = Sessions.BACKEND_KEY.sign(Protocol.CONTEXT_CLIENT_HANDSHAKE, digest);
        var pub = Sessions.BACKEND_KEY.publicKey();
        assertThat(pub.verify(Protocol.CONTEXT_CLIENT_HANDSHAKE, digest, clientSig)).isTrue();
        for (String other : new String[] {Protocol.CONTEXT_SERVER_HANDSHAKE, Protocol.CONTEXT_COMMAND,
            Protocol.CONTEXT_AGENT_MESSAGE, Protocol.CONTEXT_HTTP_AUTH}) {
            assertThat(pub.verify(other, digest, clientSig)).as(other).isFalse();
        }
    }

    @Test
    void signInputIsSpacesContextZeroDigest() {
        byte[] in = Ed25519.signInput("Aegis 1, command", new byte[] {1, 2});
        assertThat(in).hasSize(64 + 16 + 1 + 2);
        for (int i = 0; i < 64; i++) {
            assertThat(in[i]).isEqualTo((byte) 0x20);
        }
        assertThat(new String(in, 64, 16, StandardCharsets.US_ASCII)).isEqualTo("Aegis 1, command");
        assertThat(in[80]).isZero();
    }

    @Test
    void aeadRoundTripsAndRefusesAnyChange() throws Exception {
        byte[] key = Sessions.seed(1);
        byte[] nonce = new byte[12];
        Aead aead = new Aead(key);
        byte[] sealed = aead.seal(nonce, new byte[] {9}, "hello".getBytes(StandardCharsets.UTF_8));
        Aead reader = new Aead(key);
        assertThat(new String(reader.open(nonce, new byte[] {9}, sealed), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThatThrownBy(() -> reader.open(nonce, new byte[] {8}, sealed)).isInstanceOf(AEADBadTagException.class);
        sealed[0] ^= 1;
        assertThatThrownBy(() -> reader.open(nonce, new byte[] {9}, sealed)).isInstanceOf(AEADBadTagException.class);
    }

    @Test
    void aeadRefusesToSealTwiceWithTheSameNonceUntilRekeyed() {
        byte[] nonce = new byte[12];
        Aead aead = new Aead(Sessions.seed(1));
        byte[] first = aead.seal(nonce, new byte[0], new byte[] {1});
        assertThatThrownBy(() -> aead.seal(nonce, new byte[0], new byte[] {2}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("nonce reuse");
        aead.rekey(Sessions.seed(2));
        assertThat(aead.seal(nonce, new byte[0], new byte[] {1})).isNotEqualTo(first);
        // Another instance with the same key on this thread (the ciphers are per thread) is its own
        // sequence: equal inputs seal to equal bytes.
        assertThat(new Aead(Sessions.seed(1)).seal(nonce, new byte[0], new byte[] {1})).isEqualTo(first);
    }

    @Test
    void counterNonceXorsSequenceIntoTheLastEightBytes() {
        byte[] iv = Hex.decode("000102030405060708090a0b");
        assertThat(Hex.encode(TrafficKeys.nonce(iv, 0))).isEqualTo("000102030405060708090a0b");
        assertThat(Hex.encode(TrafficKeys.nonce(iv, 0x0102))).isEqualTo("000102030405060708090b09");
    }

    @Test
    void strictBase64RefusesEveryNonCanonicalForm() {
        assertThat(StrictBase64.decode("AAEC")).containsExactly(0, 1, 2);
        assertThat(StrictBase64.decode("AAE=")).containsExactly(0, 1);
        assertThat(StrictBase64.decode("")).isEmpty();
        for (String bad : new String[] {"AAE", "AAE==", "AA E=", "AAE=\n", "AAF=", "AB==", "A===", "-_8=", "AAE=AAE=",
            " AAEC", "AA\u00e9C"}) {
            assertThatThrownBy(() -> StrictBase64.decode(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> StrictBase64.decode("AAEC", 4, "x")).hasMessageContaining("4 bytes");
    }

    @Test
    void hexIsLowercaseOnly() {
        assertThat(Hex.decode("00ff")).containsExactly(0, 0xff);
        assertThatThrownBy(() -> Hex.decode("00FF")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Hex.decode("0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Hex.decode("0g")).isInstanceOf(IllegalArgumentException.class);
    }
}
