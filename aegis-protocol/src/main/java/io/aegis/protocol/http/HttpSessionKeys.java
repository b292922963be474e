package io.aegis.protocol.http;

import io.aegis.protocol.HttpAuth;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.ByteWriter;
import io.aegis.protocol.crypto.Hkdf;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.crypto.Sha256;
import io.aegis.protocol.crypto.X25519;
import io.aegis.protocol.handshake.HandshakeException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;

/**
 * Record keys for the HTTP transport, agreed inside {@code POST /api/v1/auth} when the request
 * carries the agent's ephemeral X25519 value {@code ephemeral_key} (eA):
 *
 * <pre>
 * TH         = H("aegis/1 http session" ‖ vec16(agent_id) ‖ u64(timestamp) ‖ vec16(nonce)
 *                ‖ agent_signature(64) ‖ eA(32) ‖ eB(32) ‖ nB(32))
 * ss         = X25519(eB_priv, eA) = X25519(eA_priv, eB)          refused if all zero
 * hs         = HKDF-Extract(salt = TH, IKM = ss)
 * c_ap       = Expand-Label(hs, "c ap", TH, 32)      s_ap = Expand-Label(hs, "s ap", TH, 32)
 * session_id = Expand-Label(hs, "session", TH, 16)
 * sigB       = Ed25519(backend_priv, sign_input("Aegis 1, http session",
 *                                               H(TH ‖ backend_pub ‖ registered_agent_pub)))
 * </pre>
 *
 * <p>The agent's request signature covers eA and, when the request names one, the
 * {@code backend_key_id} it asks for ({@link HttpAuth#signSessionRequest}); the gateway's
 * answer adds {@code backend_key} = eB, {@code server_nonce} = nB, {@code backend_key_id},
 * {@code backend_signature} = sigB and {@code session_id}. The agent verifies sigB with a pinned
 * backend key and derives the same {@link HttpSession}.
 *
 * <ul>
 *   <li>Agent: {@link #offer} (draws eA and signs the request), then {@link Offer#complete}.</li>
 *   <li>Gateway: after its usual checks of the request, {@link #issue}.</li>
 * </ul>
 *
 * Stateless and thread-safe; randomness is injected, so the test vectors can be reproduced.
 */
public final class HttpSessionKeys {

    private HttpSessionKeys() {
    }

    /**
     * The fields of {@code POST /api/v1/auth} that the transcript covers.
     *
     * @param agentId      the agent id
     * @param timestamp    the request's timestamp, ms
     * @param nonce        the request's nonce (16–64 characters)
     * @param signature    the agent's 64-byte request signature
     * @param ephemeralKey eA, 32 bytes
     * @param backendKeyId the 8-byte key id of the backend key the agent asks to be signed with
     *                     ({@code backend_key_id}), or {@code null} if the request names none; the
     *                     signature covers it, and through the signature the transcript
     */
    public record Request(String agentId, long timestamp, String nonce, byte[] signature, byte[] ephemeralKey,
                          byte[] backendKeyId) {
        /** Checks lengths and syntax and copies the arrays. */
        public Request {
            Identifiers.requireAgentId(agentId);
            String err = HttpAuth.nonceError(nonce);
            if (err != null) {
                throw new IllegalArgumentException(err);
            }
            signature = copy(signature, 64, "signature");
            ephemeralKey = copy(ephemeralKey, 32, "ephemeral_key");
            backendKeyId = backendKeyId == null ? null : copy(backendKeyId, IdentityPublicKey.KEY_ID_LENGTH,
                    "backend_key_id");
        }

        /** A request that names no backend key. */
        public Request(String agentId, long timestamp, String nonce, byte[] signature, byte[] ephemeralKey) {
            this(agentId, timestamp, nonce, signature, ephemeralKey, null);
        }

        /** A copy of {@code signature}. */
        @Override
        public byte[] signature() {
            return signature.clone();
        }

        /** A copy of {@code ephemeralKey}. */
        @Override
        public byte[] ephemeralKey() {
            return ephemeralKey.clone();
        }

        /** A copy of {@code backendKeyId}, or {@code null}. */
        @Override
        public byte[] backendKeyId() {
            return backendKeyId == null ? null : backendKeyId.clone();
        }
    }

    /**
     * What the gateway adds to its {@code AuthenticationResponse}.
     *
     * @param backendEphemeral {@code backend_key}: eB, 32 bytes
     * @param serverNonce      {@code server_nonce}: nB, 32 bytes
     * @param backendKeyId     {@code backend_key_id}: key id of the backend key that signed, 8 bytes
     * @param backendSignature {@code backend_signature}: sigB, 64 bytes
     * @param sessionId        {@code session_id}: 16 bytes
     */
    public record Response(byte[] backendEphemeral, byte[] serverNonce, byte[] backendKeyId, byte[] backendSignature,
                           byte[] sessionId) {
        /** Checks lengths and copies the arrays. */
        public Response {
            backendEphemeral = copy(backendEphemeral, 32, "backend_key");
            serverNonce = copy(serverNonce, 32, "server_nonce");
            backendKeyId = copy(backendKeyId, 8, "backend_key_id");
            backendSignature = copy(backendSignature, 64, "backend_signature");
            sessionId = copy(sessionId, 16, "session_id");
        }

        /** A copy of {@code backendEphemeral}. */
        @Override
        public byte[] backendEphemeral() {
            return backendEphemeral.clone();
        }

        /** A copy of {@code serverNonce}. */
        @Override
        public byte[] serverNonce() {
            return serverNonce.clone();
        }

        /** A copy of {@code backendKeyId}. */
        @Override
        public byte[] backendKeyId() {
            return backendKeyId.clone();
        }

        /** A copy of {@code backendSignature}. */
        @Override
        public byte[] backendSignature() {
            return backendSignature.clone();
        }

        /** A copy of {@code sessionId}. */
        @Override
        public byte[] sessionId() {
            return sessionId.clone();
        }
    }

    /**
     * The gateway's result: the fields to answer with, and the session to keep.
     *
     * @param response the answer's additional fields
     * @param session  the record keys; the gateway stores {@link HttpSession#export()} encrypted
     */
    public record Issued(Response response, HttpSession session) {
    }

    /** {@code TH}: the transcript hash of an HTTP session. */
    public static byte[] transcript(Request request, byte[] backendEphemeral, byte[] serverNonce) {
        return Sha256.hash(new ByteWriter(256 + request.agentId().length() + request.nonce().length())
                .ascii(Protocol.HTTP_SESSION_TAG)
                .vec16(request.agentId()).u64(request.timestamp()).vec16(request.nonce())
                .raw(request.signature).raw(request.ephemeralKey)
                .raw(copy(backendEphemeral, 32, "backend_key")).raw(copy(serverNonce, 32, "server_nonce"))
                .toByteArray());
    }

    /** The digest the gateway signs: {@code H(TH ‖ backend_pub ‖ registered_agent_pub)}. */
    public static byte[] signatureDigest(byte[] transcript, IdentityPublicKey backendKey, IdentityPublicKey agentKey) {
        return Sha256.hash(transcript, backendKey.encoded(), agentKey.encoded());
    }

    /**
     * Gateway side: draws eB (32 bytes of {@code random}) and nB (32 more), agrees, derives and
     * signs. Call only after the request passed every check of {@code POST /api/v1/auth} (the
     * signature against the registered key, the timestamp, the nonce).
     *
     * @param backendKey         the backend identity key that signs: the one the request's
     *                           {@code backend_key_id} names if the gateway holds it, else its current
     *                           one ({@link io.aegis.protocol.BackendKeyRing#select})
     * @param registeredAgentKey the agent's registered key (never one the request carries)
     * @throws HandshakeException LOW_ORDER_EPHEMERAL if eA is a low-order value, ZERO_SHARED_SECRET
     *     if the agreement gives zeros; answer both like any refused authentication
     */
    public static Issued issue(IdentityKeyPair backendKey, IdentityPublicKey registeredAgentKey, Request request,
                               SecureRandom random, Clock clock, int maxFrameBytes) throws HandshakeException {
        Objects.requireNonNull(backendKey, "backendKey");
        Objects.requireNonNull(registeredAgentKey, "registeredAgentKey");
        if (X25519.isLowOrder(request.ephemeralKey)) {
            throw new HandshakeException(HandshakeException.Reason.LOW_ORDER_EPHEMERAL, "ephemeral_key is a low-order point");
        }
        byte[] eBPrivate = X25519.generatePrivate(random);
        byte[] nB = new byte[32];
        random.nextBytes(nB);
        byte[] eB = X25519.publicKey(eBPrivate);
        byte[] ss = X25519.agree(eBPrivate, request.ephemeralKey);
        Secrets.erase(eBPrivate);
        if (ss == null) {
            throw new HandshakeException(HandshakeException.Reason.ZERO_SHARED_SECRET, "X25519 result is all zeros");
        }
        byte[] th = transcript(request, eB, nB);
        HttpSession session = derive(th, ss, clock, maxFrameBytes);
        byte[] sigB = backendKey.sign(Protocol.CONTEXT_HTTP_SESSION,
                signatureDigest(th, backendKey.publicKey(), registeredAgentKey));
        return new Issued(new Response(eB, nB, backendKey.publicKey().keyId(), sigB, session.sessionId()), session);
    }

    /**
     * Agent side: draws eA's private scalar (32 bytes of {@code random}) and signs the request with
     * {@link HttpAuth#signSessionRequest}. Send {@link Offer#request()}'s fields, then call
     * {@link Offer#complete} with the answer.
     *
     * @param nonce the request's nonce, 16–64 characters, fresh for each request
     */
    public static Offer offer(IdentityKeyPair agentKey, String agentId, long timestampMs, String nonce,
                              SecureRandom random) {
        return offer(agentKey, agentId, timestampMs, nonce, null, random);
    }

    /**
     * As {@link #offer(IdentityKeyPair, String, long, String, SecureRandom)}, asking the gateway
     * to sign with the backend key whose key id is {@code backendKeyId} (the agent's first pin,
     * as in {@code client_hello}); the gateway does if it holds that key, else it signs with its
     * current key. {@code null} names none.
     */
    public static Offer offer(IdentityKeyPair agentKey, String agentId, long timestampMs, String nonce,
                              byte[] backendKeyId, SecureRandom random) {
        byte[] ePrivate = X25519.generatePrivate(random);
        byte[] eA = X25519.publicKey(ePrivate);
        byte[] signature = HttpAuth.signSessionRequest(agentKey, agentId, timestampMs, nonce, eA, backendKeyId);
        return new Offer(agentKey.publicKey(),
                new Request(agentId, timestampMs, nonce, signature, eA, backendKeyId), ePrivate);
    }

    /**
     * An agent's request in flight: it holds eA's private scalar until {@link #complete} (or
     * {@link #close}) erases it. Use once. Not thread-safe.
     */
    public static final class Offer implements AutoCloseable {
        private final IdentityPublicKey agentKey;
        private final Request request;
        private final byte[] ephemeralPrivate;
        private boolean used;

        private Offer(IdentityPublicKey agentKey, Request request, byte[] ephemeralPrivate) {
            this.agentKey = agentKey;
            this.request = request;
            this.ephemeralPrivate = ephemeralPrivate;
        }

        /**
         * The request's fields: {@code agent_id}, {@code timestamp}, {@code nonce},
         * {@code signature} (base64) and {@code ephemeral_key} (base64 of eA).
         */
        public Request request() {
            return request;
        }

        /**
         * Checks the gateway's answer and derives the session: eB is not low-order, the shared
         * secret is not zero, {@code backend_key_id} names a pinned key, sigB verifies under it, and
         * {@code session_id} equals the derived one (which proves the gateway holds the same keys).
         *
         * @throws HandshakeException naming the failed check; the session is unusable
         */
        public HttpSession complete(PinnedBackendKeys pins, Response response, Clock clock, int maxFrameBytes)
                throws HandshakeException {
            if (used) {
                throw new IllegalStateException("an offer completes once");
            }
            used = true;
            byte[] ss = null;
            try {
                byte[] eB = response.backendEphemeral;
                if (X25519.isLowOrder(eB)) {
                    throw new HandshakeException(HandshakeException.Reason.LOW_ORDER_EPHEMERAL,
                            "backend_key is a low-order point");
                }
                IdentityPublicKey backend = pins.find(response.backendKeyId);
                if (backend == null) {
                    throw new HandshakeException(HandshakeException.Reason.UNKNOWN_BACKEND_KEY,
                            "backend_key_id names a backend key that is not pinned");
                }
                byte[] th = transcript(request, eB, response.serverNonce);
                if (!backend.verify(Protocol.CONTEXT_HTTP_SESSION, signatureDigest(th, backend, agentKey),
                        response.backendSignature)) {
                    throw new HandshakeException(HandshakeException.Reason.BAD_SIGNATURE,
                            "backend_signature does not verify under the pinned backend key");
                }
                ss = X25519.agree(ephemeralPrivate, eB);
                if (ss == null) {
                    throw new HandshakeException(HandshakeException.Reason.ZERO_SHARED_SECRET, "X25519 result is all zeros");
                }
                HttpSession session = derive(th, ss, clock, maxFrameBytes);
                if (!Secrets.constantTimeEquals(session.sessionIdRaw(), response.sessionId)) {
                    session.close();
                    throw new HandshakeException(HandshakeException.Reason.BAD_SESSION_RECORD,
                            "session_id does not match the derived session");
                }
                return session;
            } finally {
                Secrets.erase(ephemeralPrivate, ss);
            }
        }

        /** Erases eA's private scalar. Idempotent. */
        @Override
        public void close() {
            used = true;
            Secrets.erase(ephemeralPrivate);
        }
    }

    /** hs and the three outputs; erases ss and hs. */
    private static HttpSession derive(byte[] th, byte[] ss, Clock clock, int maxFrameBytes) {
        byte[] hs = Hkdf.extract(th, ss);
        Secrets.erase(ss);
        byte[] cAp = Hkdf.expandLabel(hs, "c ap", th, 32);
        byte[] sAp = Hkdf.expandLabel(hs, "s ap", th, 32);
        byte[] sessionId = Hkdf.expandLabel(hs, "session", th, 16);
        Secrets.erase(hs);
        try {
            return HttpSession.create(sessionId, cAp, sAp, clock, maxFrameBytes);
        } finally {
            Secrets.erase(cAp, sAp);
        }
    }

    private static byte[] copy(byte[] b, int length, String what) {
        if (b == null || b.length != length) {
            throw new IllegalArgumentException(what + " must be " + length + " bytes");
        }
        return b.clone();
    }
}
