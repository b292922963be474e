package io.aegis.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.testing.Sessions;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFilesTest {

    /** The seed 00..1f as OpenSSL writes it (checked with {@code openssl pkey -in k.pem -pubout}). */
    private static final String OPENSSL_PRIVATE = """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f
            -----END PRIVATE KEY-----
            """;

    @TempDir
    Path dir;

    @Test
    void privateKeysAreWrittenOwnerOnlyAndReadBack() throws Exception {
        Path p = dir.resolve("private.pem");
        KeyFiles.writePrivateKey(p, Sessions.AGENT_KEY, false);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
        assertThat(KeyFiles.isOwnerOnly(p)).isTrue();
        assertThat(Files.readString(p)).startsWith("-----BEGIN PRIVATE KEY-----\n");
        IdentityKeyPair back = KeyFiles.readPrivateKey(p);
        assertThat(back.publicKey()).isEqualTo(Sessions.AGENT_KEY.publicKey());
        assertThatThrownBy(() -> KeyFiles.writePrivateKey(p, Sessions.OTHER_KEY, false))
                .isInstanceOf(FileAlreadyExistsException.class);
        KeyFiles.writePrivateKey(p, Sessions.OTHER_KEY, true);
        assertThat(KeyFiles.readPrivateKey(p).publicKey()).isEqualTo(Sessions.OTHER_KEY.publicKey());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("private.pem");
        }
    }

    @Test
    void publicKeysRoundTrip() throws Exception {
        Path p = dir.resolve("public.pem");
        KeyFiles.writePublicKey(p, Sessions.BACKEND_KEY.publicKey(), false);
        assertThat(KeyFiles.readPublicKey(p)).isEqualTo(Sessions.BACKEND_KEY.publicKey());
        assertThat(KeyFiles.isOwnerOnly(p)).isFalse();
    }

    @Test
    void readsOpenSslKeys() {
        IdentityKeyPair k = KeyFiles.parsePrivateKeyPem(OPENSSL_PRIVATE);
        assertThat(k.publicKey()).isEqualTo(IdentityKeyPair.fromSeed(Sessions.seed(0)).publicKey());
        assertThat(KeyFiles.privateKeyPem(k)).isEqualTo(OPENSSL_PRIVATE);
        String spki = KeyFiles.publicKeyPem(k.publicKey());
        // What `openssl pkey -pubout` prints for this private key.
        assertThat(spki).isEqualTo("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n"
                + "-----END PUBLIC KEY-----\n");
        assertThat(KeyFiles.parsePublicKeyPem(spki)).isEqualTo(k.publicKey());
    }

    @Test
    void readsPkcs8WithAttachedPublicKeyOnlyIfItMatches() {
        byte[] seed = Sessions.seed(0);
        byte[] pub = IdentityKeyPair.fromSeed(seed).publicKey().encoded();
        byte[] der = concat(io.aegis.protocol.crypto.Hex.decode("3051020101300506032b657004220420"), seed,
                io.aegis.protocol.crypto.Hex.decode("812100"), pub);
        assertThat(KeyFiles.parsePrivateKeyPem(pem("PRIVATE KEY", der)).publicKey().encoded()).isEqualTo(pub);
        der[der.length - 1] ^= 1;
        assertThatThrownBy(() -> KeyFiles.parsePrivateKeyPem(pem("PRIVATE KEY", der))).isInstanceOf(InvalidKeyException.class);
    }

    @Test
    void refusesOtherKeysAndBrokenFiles() {
        assertThatThrownBy(() -> KeyFiles.parsePrivateKeyPem(OPENSSL_PRIVATE.replace("PRIVATE", "PUBLIC")))
                .isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> KeyFiles.parsePrivateKeyPem(OPENSSL_PRIVATE.replace("MC4", "MC5")))
                .isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> KeyFiles.parsePublicKeyPem(pem("PUBLIC KEY",
                concat(io.aegis.protocol.crypto.Hex.decode("302a300506032b6570032100"), new byte[32]))))
                .isInstanceOfSatisfying(InvalidKeyException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidKeyException.Reason.SMALL_ORDER));
        assertThatThrownBy(() -> KeyFiles.parsePublicKeyPem("nothing")).isInstanceOf(InvalidKeyException.class);
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getEncoder().encodeToString(der) + "\n-----END " + label + "-----\n";
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int pos = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }
}
