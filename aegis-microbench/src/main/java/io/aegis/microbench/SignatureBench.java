package io.aegis.microbench;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.Ed25519;
import io.aegis.protocol.crypto.Hex;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Ed25519 over the message the protocol actually signs: {@code 64 × 0x20 ‖ context ‖ 0x00 ‖ D}
 * with a 32-byte digest D (122 bytes for a command).
 *
 * <ul>
 * <li>{@code oursSign}, {@code oursVerify}: {@link IdentityKeyPair#sign} and
 *     {@link IdentityPublicKey#verify} (BouncyCastle's rfc8032 code plus our canonicality checks;
 *     the public point is decoded and validated once, at parse).</li>
 * <li>{@code jdkSign}, {@code jdkVerify}: the JDK's {@code Signature "Ed25519"} with the same
 *     key, an instance initialised once (the cheapest way to use it).</li>
 * <li>{@code parsePublicKey}: {@link IdentityPublicKey#parse}, the full validation (canonical,
 *     on the curve, prime-order subgroup) a gateway pays each time it turns a registered key from
 *     the database into an {@code IdentityPublicKey} without caching it.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SignatureBench {

    /** DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519 (RFC 8410). */
    private static final byte[] ED25519_SPKI_PREFIX = Hex.decode("302a300506032b6570032100");

    private IdentityKeyPair ours;
    private IdentityPublicKey oursPublic;
    private byte[] encodedPublic;
    private byte[] message;
    private byte[] signature;

    private Signature jdkSigner;
    private Signature jdkVerifier;

    @Setup
    public void setUp() throws GeneralSecurityException {
        byte[] seed = Fixtures.seed(0x22);
        ours = IdentityKeyPair.fromSeed(seed);
        oursPublic = ours.publicKey();
        encodedPublic = oursPublic.encoded();
        message = Ed25519.signInput(Protocol.CONTEXT_COMMAND, Fixtures.bytes(32, 0x5a));
        signature = ours.sign(message);

        KeyFactory kf = KeyFactory.getInstance("Ed25519");
        PrivateKey jdkPrivate = kf.generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
        byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
        System.arraycopy(encodedPublic, 0, spki, ED25519_SPKI_PREFIX.length, 32);
        PublicKey jdkPublic = kf.generatePublic(new X509EncodedKeySpec(spki));
        jdkSigner = Signature.getInstance("Ed25519");
        jdkSigner.initSign(jdkPrivate);
        jdkVerifier = Signature.getInstance("Ed25519");
        jdkVerifier.initVerify(jdkPublic);

        // Same key, same message, deterministic Ed25519: both must produce the same signature.
        if (!Arrays.equals(jdkSign(), signature) || !jdkVerify() || !oursVerify()) {
            throw new IllegalStateException("JDK and BouncyCastle Ed25519 disagree: the comparison would be void");
        }
    }

    @Benchmark
    public byte[] oursSign() {
        return ours.sign(message);
    }

    @Benchmark
    public boolean oursVerify() {
        return oursPublic.verify(message, signature);
    }

    @Benchmark
    public byte[] jdkSign() throws GeneralSecurityException {
        jdkSigner.update(message);
        return jdkSigner.sign();
    }

    @Benchmark
    public boolean jdkVerify() throws GeneralSecurityException {
        jdkVerifier.update(message);
        return jdkVerifier.verify(signature);
    }

    @Benchmark
    public IdentityPublicKey parsePublicKey() {
        return IdentityPublicKey.parse(encodedPublic);
    }
}
