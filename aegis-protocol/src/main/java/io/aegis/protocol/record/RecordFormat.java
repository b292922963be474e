package io.aegis.protocol.record;

import io.aegis.protocol.crypto.ByteWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The canonical bytes of the record layer: associated data and plaintext. Public so that tests
 * and other implementations' test harnesses can compute them; stateless and thread-safe.
 *
 * <pre>
 * AAD       = session_id(16) ‖ direction(u8) ‖ u32(epoch) ‖ u64(seq) ‖ vec16(id) ‖ vec16(type)
 *             ‖ vec16(channel) ‖ u64(timestamp) ‖ u16(header count)
 *             ‖ for each header, ascending by key bytes: vec16(key) ‖ vec16(value)
 * plaintext = u8(flags) ‖ [flags&amp;1: signer_key_id(8) ‖ u64(expires_at) ‖ vec16(audience) ‖ sig(64)]
 *             ‖ body
 * </pre>
 */
public final class RecordFormat {

    /** Flag bit: the plaintext carries a {@link SignedBlock}. Other bits must be zero. */
    public static final int FLAG_SIGNED = 0x01;

    private RecordFormat() {
    }

    /** Checks the inputs of an exchange's sealer or opener (public factories, so checked here). */
    static void checkExchangeKeys(byte[] sessionId, byte direction, byte[] secret) {
        if (sessionId == null || sessionId.length != 16) {
            throw new IllegalArgumentException("session id must be 16 bytes");
        }
        if (secret == null || secret.length != 32) {
            throw new IllegalArgumentException("traffic secret must be 32 bytes");
        }
        if (direction != io.aegis.protocol.Protocol.DIRECTION_CLIENT_TO_SERVER
                && direction != io.aegis.protocol.Protocol.DIRECTION_SERVER_TO_CLIENT) {
            throw new IllegalArgumentException("direction must be 'C' (0x43) or 'S' (0x53)");
        }
    }

    /**
     * The associated data of a record. {@code headers} must iterate in ascending key order (a
     * {@link java.util.SortedMap}, as in {@link io.aegis.protocol.SecureMessage}); keys are ASCII,
     * so that is the order of their bytes.
     */
    public static byte[] aad(byte[] sessionId, byte direction, long epoch, long seq, String id, String type,
                             String channel, long timestamp, Map<String, String> headers) {
        ByteWriter w = new ByteWriter(64 + id.length() + type.length() + channel.length() + 64 * headers.size());
        w.raw(sessionId).u8(direction & 0xFF).u32(epoch).u64(seq)
                .vec16(id).vec16(type).vec16(channel).u64(timestamp).u16(headers.size());
        String previous = null;
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (previous != null && previous.compareTo(h.getKey()) >= 0) {
                throw new IllegalArgumentException("headers must be sorted by key");
            }
            previous = h.getKey();
            w.vec16(h.getKey()).vec16(h.getValue());
        }
        return w.toByteArray();
    }

    /** The plaintext of a record: flags, the optional signature block, the body. */
    public static byte[] plaintext(SignedBlock block, byte[] body) {
        if (block == null) {
            byte[] pt = new byte[1 + body.length];
            System.arraycopy(body, 0, pt, 1, body.length);
            return pt;
        }
        byte[] audience = block.audience().getBytes(StandardCharsets.UTF_8);
        return new ByteWriter(1 + 8 + 8 + 2 + audience.length + 64 + body.length)
                .u8(FLAG_SIGNED)
                .raw(block.signerKeyIdRaw())
                .u64(block.expiresAt())
                .vec16(audience)
                .raw(block.signatureRaw())
                .raw(body)
                .toByteArray();
    }

    /** A parsed plaintext. */
    record Parsed(SignedBlock block, byte[] body) {
    }

    /** Parses a plaintext; refuses unknown flags and truncated or malformed signature blocks. */
    static Parsed parse(byte[] pt) throws RecordException {
        if (pt.length < 1) {
            throw new RecordException(RecordException.Reason.BAD_PLAINTEXT, "empty plaintext");
        }
        int flags = pt[0] & 0xFF;
        if ((flags & ~FLAG_SIGNED) != 0) {
            throw new RecordException(RecordException.Reason.BAD_PLAINTEXT, "unknown plaintext flags " + flags);
        }
        if (flags == 0) {
            return new Parsed(null, Arrays.copyOfRange(pt, 1, pt.length));
        }
        int pos = 1;
        if (pt.length < pos + 8 + 8 + 2) {
            throw new RecordException(RecordException.Reason.BAD_PLAINTEXT, "truncated signature block");
        }
        byte[] keyId = Arrays.copyOfRange(pt, pos, pos + 8);
        pos += 8;
        long expiresAt = ByteWriter.getU64(pt, pos);
        pos += 8;
        int audLen = ByteWriter.getU16(pt, pos);
        pos += 2;
        if (pt.length < pos + audLen + 64) {
            throw new RecordException(RecordException.Reason.BAD_PLAINTEXT, "truncated signature block");
        }
        String audience = new String(pt, pos, audLen, StandardCharsets.UTF_8);
        pos += audLen;
        byte[] sig = Arrays.copyOfRange(pt, pos, pos + 64);
        pos += 64;
        SignedBlock block;
        try {
            block = new SignedBlock(keyId, expiresAt, audience, sig);
        } catch (IllegalArgumentException e) {
            throw new RecordException(RecordException.Reason.BAD_PLAINTEXT, "bad signature block: " + e.getMessage());
        }
        return new Parsed(block, Arrays.copyOfRange(pt, pos, pt.length));
    }
}
