package io.aegis.protocol;

import io.aegis.protocol.crypto.ByteWriter;
import io.aegis.protocol.crypto.Ed25519;
import io.aegis.protocol.crypto.Sha256;

/**
 * Signatures of {@code POST /api/v1/auth}: the agent signs
 *
 * <pre>
 * sign_input("Aegis 1, http auth", H(vec16(agent_id) ‖ u64(timestamp ms) ‖ vec16(nonce)))
 * </pre>
 *
 * <p>with its identity key. The nonce is 16–64 characters of the base64 or base64url alphabet
 * (including {@code =}) chosen at random by the agent; the server refuses a nonce it has seen
 * within its timestamp window.
 *
 * <p>A request that also establishes record keys for the HTTP transport (it carries the agent's
 * X25519 {@code ephemeral_key} eA, see {@link io.aegis.protocol.http.HttpSessionKeys}) is signed
 * under its own context, over a digest that covers eA too, so that nobody who sees the request
 * (a TLS-terminating proxy) can swap in an ephemeral value of its own:
 *
 * <pre>
 * sign_input("Aegis 1, http session request", H(vec16(agent_id) ‖ u64(timestamp ms) ‖ vec16(nonce) ‖ eA(32)
 *                                               [‖ backend_key_id(8)]))
 * </pre>
 *
 * <p>The optional {@code backend_key_id} (the backend key the agent asks to be signed with, as in
 * {@code client_hello}) is appended only when the request carries it, so a request without it is
 * signed exactly as before; every field before it has a fixed length or a length prefix, so the
 * two forms cannot be confused.
 *
 * <p>Stateless and thread-safe.
 */
public final class HttpAuth {

    /** Shortest nonce, in characters. */
    public static final int MIN_NONCE = 16;
    /** Longest nonce, in characters. */
    public static final int MAX_NONCE = 64;

    private HttpAuth() {
    }

    /**
     * The exact bytes the agent signs.
     *
     * @throws IllegalArgumentException if the agent id or nonce breaks its syntax rule, or the
     *     timestamp is negative
     */
    public static byte[] canonical(String agentId, long timestampMs, String nonce) {
        Identifiers.requireAgentId(agentId);
        String err = nonceError(nonce);
        if (err != null) {
            throw new IllegalArgumentException(err);
        }
        if (timestampMs < 0) {
            throw new IllegalArgumentException("timestamp must be ≥ 0, was " + timestampMs);
        }
        byte[] digest = Sha256.hash(new ByteWriter(64 + agentId.length() + nonce.length())
                .vec16(agentId).u64(timestampMs).vec16(nonce).toByteArray());
        return Ed25519.signInput(Protocol.CONTEXT_HTTP_AUTH, digest);
    }

    /**
     * The exact bytes the agent signs for a request that carries {@code ephemeral_key} (and no
     * {@code backend_key_id}).
     *
     * @throws IllegalArgumentException as {@link #canonical}, or if {@code ephemeralKey} is not 32 bytes
     */
    public static byte[] sessionRequestCanonical(String agentId, long timestampMs, String nonce, byte[] ephemeralKey) {
        return sessionRequestCanonical(agentId, timestampMs, nonce, ephemeralKey, null);
    }

    /**
     * The exact bytes the agent signs for a request that carries {@code ephemeral_key} and, if
     * {@code backendKeyId} is not null, {@code backend_key_id}.
     *
     * @param backendKeyId the 8-byte key id of the backend key the agent asks for, or {@code null}
     * @throws IllegalArgumentException as {@link #canonical}, or if {@code ephemeralKey} is not 32
     *     bytes or {@code backendKeyId} not 8
     */
    public static byte[] sessionRequestCanonical(String agentId, long timestampMs, String nonce, byte[] ephemeralKey,
                                                 byte[] backendKeyId) {
        Identifiers.requireAgentId(agentId);
        String err = nonceError(nonce);
        if (err != null) {
            throw new IllegalArgumentException(err);
        }
        if (timestampMs < 0) {
            throw new IllegalArgumentException("timestamp must be ≥ 0, was " + timestampMs);
        }
        if (ephemeralKey == null || ephemeralKey.length != 32) {
            throw new IllegalArgumentException("ephemeral_key must be 32 bytes");
        }
        if (backendKeyId != null && backendKeyId.length != IdentityPublicKey.KEY_ID_LENGTH) {
            throw new IllegalArgumentException("backend_key_id must be " + IdentityPublicKey.KEY_ID_LENGTH + " bytes");
        }
        ByteWriter w = new ByteWriter(104 + agentId.length() + nonce.length())
                .vec16(agentId).u64(timestampMs).vec16(nonce).raw(ephemeralKey);
        if (backendKeyId != null) {
            w.raw(backendKeyId);
        }
        return Ed25519.signInput(Protocol.CONTEXT_HTTP_SESSION_REQUEST, Sha256.hash(w.toByteArray()));
    }

    /** Signs a request that carries {@code ephemeral_key}: returns the 64-byte signature. */
    public static byte[] signSessionRequest(IdentityKeyPair agentKey, String agentId, long timestampMs, String nonce,
                                            byte[] ephemeralKey) {
        return signSessionRequest(agentKey, agentId, timestampMs, nonce, ephemeralKey, null);
    }

    /**
     * Signs a request that carries {@code ephemeral_key} and, unless {@code backendKeyId} is null,
     * {@code backend_key_id}: returns the 64-byte signature.
     */
    public static byte[] signSessionRequest(IdentityKeyPair agentKey, String agentId, long timestampMs, String nonce,
                                            byte[] ephemeralKey, byte[] backendKeyId) {
        return agentKey.sign(sessionRequestCanonical(agentId, timestampMs, nonce, ephemeralKey, backendKeyId));
    }

    /**
     * Verifies the signature of a request that carries {@code ephemeral_key} (and no
     * {@code backend_key_id}) against the agent's registered key. Returns {@code false} for a bad
     * signature or malformed input.
     */
    public static boolean verifySessionRequest(IdentityPublicKey registeredKey, String agentId, long timestampMs,
                                               String nonce, byte[] ephemeralKey, byte[] signature) {
        return verifySessionRequest(registeredKey, agentId, timestampMs, nonce, ephemeralKey, null, signature);
    }

    /**
     * Verifies the signature of a request that carries {@code ephemeral_key} and, unless
     * {@code backendKeyId} is null, {@code backend_key_id}, against the agent's registered key.
     * Returns {@code false} for a bad signature or malformed input.
     */
    public static boolean verifySessionRequest(IdentityPublicKey registeredKey, String agentId, long timestampMs,
                                               String nonce, byte[] ephemeralKey, byte[] backendKeyId,
                                               byte[] signature) {
        byte[] input;
        try {
            input = sessionRequestCanonical(agentId, timestampMs, nonce, ephemeralKey, backendKeyId);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return registeredKey.verify(input, signature);
    }

    /** Signs a request: returns the 64-byte signature. */
    public static byte[] sign(IdentityKeyPair agentKey, String agentId, long timestampMs, String nonce) {
        return agentKey.sign(canonical(agentId, timestampMs, nonce));
    }

    /**
     * Verifies a request's signature against the agent's registered key. Returns {@code false}
     * for a bad signature or a malformed agent id, nonce or timestamp.
     */
    public static boolean verify(IdentityPublicKey registeredKey, String agentId, long timestampMs, String nonce,
                                 byte[] signature) {
        byte[] input;
        try {
            input = canonical(agentId, timestampMs, nonce);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return registeredKey.verify(input, signature);
    }

    /** Checks a nonce: 16–64 characters of {@code [A-Za-z0-9+/_=-]}. Returns null if valid. */
    public static String nonceError(String nonce) {
        if (nonce == null) {
            return "nonce is missing";
        }
        if (nonce.length() < MIN_NONCE || nonce.length() > MAX_NONCE) {
            return "nonce must be " + MIN_NONCE + ".." + MAX_NONCE + " characters, was " + nonce.length();
        }
        for (int i = 0; i < nonce.length(); i++) {
            char c = nonce.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '+' || c == '/' || c == '_' || c == '-' || c == '=';
            if (!ok) {
                return "nonce may hold only base64 or base64url characters; bad character at index " + i;
            }
        }
        return null;
    }
}
