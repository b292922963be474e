package io.aegis.microbench;

import io.aegis.protocol.crypto.Hkdf;
import io.aegis.protocol.crypto.TrafficKeys;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * HKDF-SHA256 as the key schedule uses it ({@link Hkdf}, the JDK's {@code HmacSHA256}).
 *
 * <ul>
 * <li>{@code extract}: one HKDF-Extract (salt = 32-byte transcript hash, IKM = 32-byte X25519
 *     secret).</li>
 * <li>{@code expandLabel}: one Expand-Label of 32 bytes with a 32-byte context.</li>
 * <li>{@code perHandshakeSide}: everything one side derives per handshake: Extract, then
 *     {@code c hs}, {@code s hs}; key and IV of the M2 seal/open and of the M3 seal/open;
 *     {@code c ap}, {@code s ap}, {@code session}; key and IV of both channel directions:
 *     1 Extract + 13 Expand-Label.</li>
 * <li>{@code expandLabelCachedMac}: the same Expand-Label computed on a {@code Mac} obtained once
 *     (only {@code init} per call), to show what {@code Mac.getInstance} per call costs.</li>
 * <li>{@code bcExpandLabel}: the same Expand-Label with BouncyCastle's {@code HKDFBytesGenerator},
 *     for comparison.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HkdfBench {

    private byte[] salt;
    private byte[] ikm;
    private byte[] secret;
    private byte[] context;
    private Mac mac;

    @Setup
    public void setUp() throws GeneralSecurityException {
        salt = Fixtures.bytes(32, 0x01);
        ikm = Fixtures.bytes(32, 0x41);
        secret = Fixtures.bytes(32, 0x81);
        context = Fixtures.bytes(32, 0xc1);
        mac = Mac.getInstance("HmacSHA256");
        if (!java.util.Arrays.equals(expandLabel(), expandLabelCachedMac())
                || !java.util.Arrays.equals(expandLabel(), bcExpandLabel())) {
            throw new IllegalStateException("HKDF implementations disagree: the comparison would be void");
        }
    }

    @Benchmark
    public byte[] extract() {
        return Hkdf.extract(salt, ikm);
    }

    @Benchmark
    public byte[] expandLabel() {
        return Hkdf.expandLabel(secret, "c hs", context, 32);
    }

    @Benchmark
    public void perHandshakeSide(Blackhole bh) {
        byte[] hs = Hkdf.extract(salt, ikm);
        byte[] cHs = Hkdf.expandLabel(hs, "c hs", context, 32);
        byte[] sHs = Hkdf.expandLabel(hs, "s hs", context, 32);
        // M2 sealed under s_hs, M3 under c_hs: a key and an IV each.
        bh.consume(TrafficKeys.key(sHs));
        bh.consume(TrafficKeys.iv(sHs));
        bh.consume(TrafficKeys.key(cHs));
        bh.consume(TrafficKeys.iv(cHs));
        byte[] cAp = Hkdf.expandLabel(hs, "c ap", context, 32);
        byte[] sAp = Hkdf.expandLabel(hs, "s ap", context, 32);
        bh.consume(Hkdf.expandLabel(hs, "session", context, 16));
        // The channel: sealer and opener, a key and an IV each.
        bh.consume(TrafficKeys.key(cAp));
        bh.consume(TrafficKeys.iv(cAp));
        bh.consume(TrafficKeys.key(sAp));
        bh.consume(TrafficKeys.iv(sAp));
    }

    @Benchmark
    public byte[] expandLabelCachedMac() throws GeneralSecurityException {
        // One block of HKDF-Expand (L ≤ 32): T(1) = HMAC(prk, info ‖ 0x01).
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        mac.update(Hkdf.labelInfo("c hs", context, 32));
        mac.update((byte) 1);
        return mac.doFinal();
    }

    @Benchmark
    public byte[] bcExpandLabel() {
        HKDFBytesGenerator g = new HKDFBytesGenerator(SHA256Digest.newInstance());
        g.init(HKDFParameters.skipExtractParameters(secret, Hkdf.labelInfo("c hs", context, 32)));
        byte[] out = new byte[32];
        g.generateBytes(out, 0, 32);
        return out;
    }
}
