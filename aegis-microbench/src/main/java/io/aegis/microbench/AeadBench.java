package io.aegis.microbench;

import io.aegis.protocol.crypto.Aead;
import io.aegis.protocol.crypto.TrafficKeys;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import javax.crypto.AEADBadTagException;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * ChaCha20-Poly1305 seal and open of {@code size} bytes with 64 bytes of associated data (about a
 * record's), a counter nonce per seal as the record layer makes them.
 *
 * <ul>
 * <li>{@code jdkSeal}, {@code jdkOpen}: our {@link Aead} on the JDK {@code Cipher} (what the
 *     record layer uses): {@code init} + {@code updateAAD} + {@code doFinal} into a new array.</li>
 * <li>{@code bcSeal}, {@code bcOpen}: BouncyCastle's lightweight {@code ChaCha20Poly1305}, the
 *     same steps, also into a new array.</li>
 * </ul>
 *
 * <p>Both refuse to encrypt twice with one key and nonce, hence the counter. Opening reuses one
 * sealed input (decryption has no such rule).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AeadBench {

    @Param({"64", "1024", "16384"})
    public int size;

    private byte[] iv;
    private byte[] aad;
    private byte[] plaintext;
    private byte[] openNonce;
    private byte[] sealed;
    private long seq;

    private Aead jdkSealer;
    private Aead jdkOpener;
    private KeyParameter bcKey;
    private ChaCha20Poly1305 bcSealer;
    private ChaCha20Poly1305 bcOpener;

    @Setup
    public void setUp() throws Exception {
        byte[] key = Fixtures.bytes(Aead.KEY_LENGTH, 0x10);
        iv = Fixtures.bytes(Aead.NONCE_LENGTH, 0x70);
        aad = Fixtures.bytes(64, 0x90);
        plaintext = Fixtures.bytes(size, 0x00);
        jdkSealer = new Aead(key);
        jdkOpener = new Aead(key);
        bcKey = new KeyParameter(key);
        bcSealer = new ChaCha20Poly1305();
        bcOpener = new ChaCha20Poly1305();

        openNonce = TrafficKeys.nonce(iv, 1L << 40);
        sealed = jdkSealer.seal(openNonce, aad, plaintext);
        seq = 1;
        // Both implementations must agree byte for byte, or the comparison is void.
        byte[] bcSealed = bcSealWith(TrafficKeys.nonce(iv, 0));
        if (!Arrays.equals(bcSealed, jdkSealer.seal(TrafficKeys.nonce(iv, 0), aad, plaintext))
                || !Arrays.equals(jdkOpen(), plaintext) || !Arrays.equals(bcOpen(), plaintext)) {
            throw new IllegalStateException("JDK and BouncyCastle ChaCha20-Poly1305 disagree");
        }
    }

    @Benchmark
    public byte[] jdkSeal() {
        return jdkSealer.seal(TrafficKeys.nonce(iv, seq++), aad, plaintext);
    }

    @Benchmark
    public byte[] jdkOpen() throws AEADBadTagException {
        return jdkOpener.open(openNonce, aad, sealed);
    }

    @Benchmark
    public byte[] bcSeal() throws InvalidCipherTextException {
        return bcSealWith(TrafficKeys.nonce(iv, seq++));
    }

    @Benchmark
    public byte[] bcOpen() throws InvalidCipherTextException {
        bcOpener.init(false, new AEADParameters(bcKey, 128, openNonce, aad));
        byte[] out = new byte[bcOpener.getOutputSize(sealed.length)];
        int n = bcOpener.processBytes(sealed, 0, sealed.length, out, 0);
        bcOpener.doFinal(out, n);
        return out;
    }

    private byte[] bcSealWith(byte[] nonce) throws InvalidCipherTextException {
        bcSealer.init(true, new AEADParameters(bcKey, 128, nonce, aad));
        byte[] out = new byte[bcSealer.getOutputSize(plaintext.length)];
        int n = bcSealer.processBytes(plaintext, 0, plaintext.length, out, 0);
        bcSealer.doFinal(out, n);
        return out;
    }
}
