package io.aegis.protocol;

import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.Secrets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

/**
 * Ed25519 keys as PEM files (the seed's {@code AUTH_PRIVATE_KEY_PATH} and
 * {@code AUTH_PUBLIC_KEY_PATH}), interoperable with OpenSSL ({@code openssl genpkey -algorithm
 * ed25519}) and Go's {@code x509.MarshalPKCS8PrivateKey} / {@code MarshalPKIXPublicKey}.
 *
 * <ul>
 * <li>Private key: PKCS#8 {@code -----BEGIN PRIVATE KEY-----} (RFC 8410: version 0, algorithm
 *     1.3.101.112, the 32-byte seed). Version 1 with the public key attached is also read, and the
 *     attached key must match the seed.</li>
 * <li>Public key: SPKI {@code -----BEGIN PUBLIC KEY-----}, validated by
 *     {@link IdentityPublicKey#parse(byte[])}.</li>
 * </ul>
 *
 * <p>Private keys are written to a temporary file in the target directory that is <em>created</em>
 * with POSIX mode 0600 (never readable by others, not even briefly), forced to disk, then moved
 * into place atomically. On a file system without POSIX permissions, writing a private key fails
 * rather than leave it readable. Stateless and thread-safe.
 */
public final class KeyFiles {

    /** PKCS#8 v1 prefix for an Ed25519 seed (RFC 8410 §7): SEQUENCE, version 0, AlgorithmIdentifier, OCTET STRING(OCTET STRING(32)). */
    private static final byte[] PKCS8_PREFIX = Hex.decode("302e020100300506032b657004220420");
    /** PKCS#8 v2 (OneAsymmetricKey) prefix: version 1, then the seed, then [1] public key. */
    private static final byte[] PKCS8_V2_PREFIX = Hex.decode("3051020101300506032b657004220420");
    private static final byte[] PKCS8_V2_PUBLIC = Hex.decode("812100");
    /** SPKI prefix for an Ed25519 public key: SEQUENCE, AlgorithmIdentifier, BIT STRING(32). */
    private static final byte[] SPKI_PREFIX = Hex.decode("302a300506032b6570032100");

    private static final String PRIVATE_LABEL = "PRIVATE KEY";
    private static final String PUBLIC_LABEL = "PUBLIC KEY";

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC_MODE = PosixFilePermissions.fromString("rw-r--r--");

    private KeyFiles() {
    }

    // ---------------------------------------------------------------- text forms

    /** The PKCS#8 PEM text of a key pair's seed. The caller should not keep the string around. */
    public static String privateKeyPem(IdentityKeyPair key) {
        byte[] seed = key.seedCopy();
        byte[] der = concat(PKCS8_PREFIX, seed);
        try {
            return pem(PRIVATE_LABEL, der);
        } finally {
            Secrets.erase(seed, der);
        }
    }

    /** The SPKI PEM text of a public key. */
    public static String publicKeyPem(IdentityPublicKey key) {
        return pem(PUBLIC_LABEL, concat(SPKI_PREFIX, key.encoded()));
    }

    /**
     * Parses a PKCS#8 PEM private key.
     *
     * @throws InvalidKeyException if it is not an Ed25519 PKCS#8 key
     */
    public static IdentityKeyPair parsePrivateKeyPem(String pem) {
        byte[] der = unpem(pem, PRIVATE_LABEL);
        byte[] seed = null;
        try {
            if (der.length == PKCS8_PREFIX.length + 32 && startsWith(der, PKCS8_PREFIX)) {
                seed = Arrays.copyOfRange(der, PKCS8_PREFIX.length, der.length);
                return IdentityKeyPair.fromSeed(seed);
            }
            int v2 = PKCS8_V2_PREFIX.length + 32 + PKCS8_V2_PUBLIC.length + 32;
            if (der.length == v2 && startsWith(der, PKCS8_V2_PREFIX)
                    && Arrays.equals(der, PKCS8_V2_PREFIX.length + 32, PKCS8_V2_PREFIX.length + 35,
                            PKCS8_V2_PUBLIC, 0, 3)) {
                seed = Arrays.copyOfRange(der, PKCS8_V2_PREFIX.length, PKCS8_V2_PREFIX.length + 32);
                IdentityKeyPair pair = IdentityKeyPair.fromSeed(seed);
                if (!pair.publicKey().matches(Arrays.copyOfRange(der, der.length - 32, der.length))) {
                    pair.destroy();
                    throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED,
                            "the public key inside the PKCS#8 file does not match its private key");
                }
                return pair;
            }
            throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED,
                    "not an Ed25519 PKCS#8 private key (RFC 8410)");
        } finally {
            Secrets.erase(seed, der);
        }
    }

    /**
     * Parses an SPKI PEM public key.
     *
     * @throws InvalidKeyException if it is not a valid Ed25519 SPKI key
     */
    public static IdentityPublicKey parsePublicKeyPem(String pem) {
        byte[] der = unpem(pem, PUBLIC_LABEL);
        if (der.length != SPKI_PREFIX.length + 32 || !startsWith(der, SPKI_PREFIX)) {
            throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED,
                    "not an Ed25519 SubjectPublicKeyInfo (RFC 8410)");
        }
        return IdentityPublicKey.parse(Arrays.copyOfRange(der, SPKI_PREFIX.length, der.length));
    }

    // ---------------------------------------------------------------- files

    /**
     * Writes a private key file with mode 0600.
     *
     * @param replace replace an existing file (atomically); if false an existing file is an error
     * @throws FileAlreadyExistsException if the file exists and {@code replace} is false
     * @throws IOException if the file system has no POSIX permissions, or on I/O failure
     */
    public static void writePrivateKey(Path path, IdentityKeyPair key, boolean replace) throws IOException {
        byte[] bytes = privateKeyPem(key).getBytes(StandardCharsets.US_ASCII);
        try {
            write(path, bytes, OWNER_ONLY, replace);
        } finally {
            Secrets.erase(bytes);
        }
    }

    /** Writes a public key file with mode 0644 (or the platform default without POSIX permissions). */
    public static void writePublicKey(Path path, IdentityPublicKey key, boolean replace) throws IOException {
        byte[] bytes = publicKeyPem(key).getBytes(StandardCharsets.US_ASCII);
        try {
            write(path, bytes, PUBLIC_MODE, replace);
        } catch (UnsupportedOperationException e) {
            writePlain(path, bytes, replace);
        }
    }

    /** Reads a PKCS#8 PEM private key file. */
    public static IdentityKeyPair readPrivateKey(Path path) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        try {
            return parsePrivateKeyPem(new String(bytes, StandardCharsets.US_ASCII));
        } finally {
            Secrets.erase(bytes);
        }
    }

    /** Reads an SPKI PEM public key file. */
    public static IdentityPublicKey readPublicKey(Path path) throws IOException {
        return parsePublicKeyPem(Files.readString(path, StandardCharsets.US_ASCII));
    }

    /**
     * A public key given on a command line: the path of a file holding it (SPKI PEM, such as the
     * backend's {@code public.pem} or {@code keygen}'s {@code FILE.pub}; a PKCS#8 private key,
     * whose public half is taken; or base64 text), else the base64 of the raw 32-byte key itself.
     *
     * @throws InvalidKeyException if neither a readable key file nor a valid base64 key
     * @throws IOException if the file exists but cannot be read
     */
    public static IdentityPublicKey publicKeyArgument(String fileOrBase64) throws IOException {
        Path path;
        try {
            path = Path.of(fileOrBase64);
        } catch (java.nio.file.InvalidPathException e) {
            path = null;
        }
        if (path == null || !Files.isRegularFile(path)) {
            return IdentityPublicKey.parseBase64(fileOrBase64.trim());
        }
        String text = Files.readString(path, StandardCharsets.US_ASCII);
        if (text.contains("-----BEGIN " + PRIVATE_LABEL)) {
            IdentityKeyPair pair = parsePrivateKeyPem(text);
            try {
                return pair.publicKey();
            } finally {
                pair.destroy();
            }
        }
        if (text.contains("-----BEGIN ")) {
            return parsePublicKeyPem(text);
        }
        return IdentityPublicKey.parseBase64(text.trim());
    }

    /**
     * True if the file's POSIX permissions grant nothing to group or others (or the file system
     * has no POSIX permissions). Servers may warn or refuse to start otherwise.
     */
    public static boolean isOwnerOnly(Path path) throws IOException {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(path);
            for (PosixFilePermission perm : p) {
                if (perm.name().startsWith("GROUP") || perm.name().startsWith("OTHERS")) {
                    return false;
                }
            }
            return true;
        } catch (UnsupportedOperationException e) {
            return true;
        }
    }

    private static void write(Path path, byte[] bytes, Set<PosixFilePermission> mode, boolean replace)
            throws IOException {
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        FileAttribute<Set<PosixFilePermission>> attr;
        try {
            attr = PosixFilePermissions.asFileAttribute(mode);
        } catch (UnsupportedOperationException e) {
            throw new IOException("cannot set POSIX permissions here; refusing to write " + target, e);
        }
        if (!replace && Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", attr);
        } catch (UnsupportedOperationException e) {
            throw new IOException("file system has no POSIX permissions; refusing to write " + target, e);
        }
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            if (replace) {
                moveAtomically(tmp, target);
            } else {
                // A hard link fails if the target appeared meanwhile: no check-then-act race.
                try {
                    Files.createLink(target, tmp);
                } catch (FileAlreadyExistsException e) {
                    throw e;
                } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
                    // No hard links here: a plain move also refuses an existing target.
                    Files.move(tmp, target);
                }
            }
            forceDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void moveAtomically(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void writePlain(Path path, byte[] bytes, boolean replace) throws IOException {
        if (replace) {
            Files.write(path, bytes);
        } else {
            Files.write(path, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Best effort: not every platform can sync a directory.
        }
    }

    // ---------------------------------------------------------------- PEM

    private static String pem(String label, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + b64 + "\n-----END " + label + "-----\n";
    }

    private static byte[] unpem(String pem, String label) {
        if (pem == null) {
            throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED, "PEM text is null");
        }
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b) {
            throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED, "no PEM block labelled '" + label + "'");
        }
        if (pem.indexOf(begin, b + 1) >= 0) {
            throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED, "more than one PEM block");
        }
        String body = pem.substring(b + begin.length(), e);
        StringBuilder sb = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
                continue;
            }
            if (c == ':') {
                throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED, "encrypted or annotated PEM is not supported");
            }
            sb.append(c);
        }
        try {
            return io.aegis.protocol.crypto.StrictBase64.decode(sb.toString());
        } catch (IllegalArgumentException ex) {
            throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED, "PEM body is not valid base64");
        }
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
