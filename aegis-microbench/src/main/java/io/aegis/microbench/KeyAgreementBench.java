package io.aegis.microbench;

import io.aegis.protocol.crypto.X25519;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyAgreement;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * X25519, as each side of a handshake uses it once: one key generation and one agreement.
 *
 * <ul>
 * <li>{@code oursKeyGen}: 32 bytes from a {@link SecureRandom} (the JDK default, as the gateway
 *     uses) and {@link X25519#publicKey} (BouncyCastle's fixed-base multiplication).</li>
 * <li>{@code oursAgree}: {@link X25519#agree} (variable-base multiplication and the all-zero
 *     check). The low-order check of the peer's value is a few comparisons and not measured.</li>
 * <li>{@code jdkKeyGen}, {@code jdkAgree}: {@code KeyPairGenerator "X25519"} and
 *     {@code KeyAgreement "X25519"} (instance created once, {@code init} + {@code doPhase} +
 *     {@code generateSecret} per agreement), with the same private scalar and peer value.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KeyAgreementBench {

    private SecureRandom random;
    private byte[] privateKey;
    private byte[] peerPublic;

    private KeyPairGenerator jdkGenerator;
    private KeyAgreement jdkAgreement;
    private PrivateKey jdkPrivate;
    private PublicKey jdkPeerPublic;

    @Setup
    public void setUp() throws GeneralSecurityException {
        random = new SecureRandom();
        privateKey = Fixtures.seed(0x30);
        peerPublic = X25519.publicKey(Fixtures.seed(0x50));

        jdkGenerator = KeyPairGenerator.getInstance("X25519");
        jdkAgreement = KeyAgreement.getInstance("X25519");
        KeyFactory kf = KeyFactory.getInstance("X25519");
        jdkPrivate = kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey));
        // RFC 7748 u-coordinates are little-endian; XECPublicKeySpec takes the integer.
        byte[] bigEndian = peerPublic.clone();
        for (int i = 0; i < 16; i++) {
            byte t = bigEndian[i];
            bigEndian[i] = bigEndian[31 - i];
            bigEndian[31 - i] = t;
        }
        jdkPeerPublic = kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, bigEndian)));

        if (!Arrays.equals(oursAgree(), jdkAgree())) {
            throw new IllegalStateException("JDK and BouncyCastle X25519 disagree: the comparison would be void");
        }
    }

    @Benchmark
    public byte[] oursKeyGen() {
        return X25519.publicKey(X25519.generatePrivate(random));
    }

    @Benchmark
    public byte[] oursAgree() {
        return X25519.agree(privateKey, peerPublic);
    }

    @Benchmark
    public KeyPair jdkKeyGen() {
        return jdkGenerator.generateKeyPair();
    }

    @Benchmark
    public byte[] jdkAgree() throws GeneralSecurityException {
        jdkAgreement.init(jdkPrivate);
        jdkAgreement.doPhase(jdkPeerPublic, true);
        return jdkAgreement.generateSecret();
    }
}
