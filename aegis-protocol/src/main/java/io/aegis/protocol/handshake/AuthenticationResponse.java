package io.aegis.protocol.handshake;

import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.Hex;
import java.util.Arrays;
import java.util.Objects;

/**
 * The gateway's final answer (the seed's {@code AuthenticationResponse}).
 *
 * <p>On success it is the body of the first gateway record (type {@code session}, channel
 * {@code control}, epoch 0, sequence 0), so it is encrypted and authenticated:
 * <pre>
 * {"success":true,"backend_key":"b64(eB)","session_token":"…","expires_at":unix_seconds,
 *  "session_id":"hex(16)","protocol_version":1}
 * </pre>
 * On failure it is one clear text frame, the same for every reason, followed by close 4001:
 * <pre>
 * {"success":false,"message":"authentication failed"}
 * </pre>
 *
 * @param success         true for a session, false for the generic failure
 * @param backendKey      the gateway's ephemeral X25519 public value eB (32 bytes); null on failure
 * @param sessionToken    opaque token chosen by the server (1..512 printable ASCII); null on failure
 * @param expiresAt       session expiry, unix seconds; 0 on failure
 * @param sessionId       the 16-byte session id from the key schedule; null on failure
 * @param protocolVersion 1 on success; 0 on failure
 * @param message         null on success; {@code "authentication failed"} on failure
 */
public record AuthenticationResponse(boolean success, byte[] backendKey, String sessionToken, long expiresAt,
                                     byte[] sessionId, int protocolVersion, String message) {

    /** Longest session token, in characters. */
    public static final int MAX_SESSION_TOKEN = 512;

    /** Checks the fields of the success or failure form and copies the arrays. */
    public AuthenticationResponse {
        if (success) {
            backendKey = ClientHello.copy(backendKey, 32, "backend_key");
            sessionId = ClientHello.copy(sessionId, 16, "session_id");
            String err = sessionTokenError(sessionToken);
            if (err != null) {
                throw new IllegalArgumentException(err);
            }
            if (expiresAt < 0) {
                throw new IllegalArgumentException("expires_at must be ≥ 0");
            }
            if (message != null) {
                throw new IllegalArgumentException("a successful response carries no message");
            }
        } else {
            if (backendKey != null || sessionToken != null || sessionId != null || expiresAt != 0 || protocolVersion != 0) {
                throw new IllegalArgumentException("a failed response carries only a message");
            }
            Objects.requireNonNull(message, "message");
        }
    }

    /** A successful response. */
    public static AuthenticationResponse success(byte[] backendKey, String sessionToken, long expiresAtSeconds,
                                                 byte[] sessionId) {
        return new AuthenticationResponse(true, backendKey, sessionToken, expiresAtSeconds, sessionId,
                Protocol.VERSION, null);
    }

    /** The generic failure; identical for every reason. */
    public static AuthenticationResponse failure() {
        return new AuthenticationResponse(false, null, null, 0, null, 0, Protocol.AUTH_FAILURE_MESSAGE);
    }

    /** Checks a session token: 1..512 characters of printable ASCII (0x21..0x7e). Null if valid. */
    public static String sessionTokenError(String token) {
        if (token == null || token.isEmpty() || token.length() > MAX_SESSION_TOKEN) {
            return "session_token must be 1.." + MAX_SESSION_TOKEN + " characters";
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return "session_token may hold only printable ASCII; bad character at index " + i;
            }
        }
        return null;
    }

    /** A copy of {@code backendKey}. */
    @Override
    public byte[] backendKey() {
        return backendKey == null ? null : backendKey.clone();
    }

    /** A copy of {@code sessionId}. */
    @Override
    public byte[] sessionId() {
        return sessionId == null ? null : sessionId.clone();
    }

    /** The session id as 32 lowercase hex characters, or null on failure. */
    public String sessionIdHex() {
        return sessionId == null ? null : Hex.encode(sessionId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthenticationResponse r && success == r.success && expiresAt == r.expiresAt
                && protocolVersion == r.protocolVersion && Objects.equals(sessionToken, r.sessionToken)
                && Objects.equals(message, r.message) && Arrays.equals(backendKey, r.backendKey)
                && Arrays.equals(sessionId, r.sessionId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(success, sessionToken, expiresAt, protocolVersion, message, Arrays.hashCode(sessionId));
    }

    @Override
    public String toString() {
        return success
                ? "AuthenticationResponse[success, sessionId=" + sessionIdHex() + ", expiresAt=" + expiresAt + "]"
                : "AuthenticationResponse[failure]";
    }
}
