package io.aegis.server.auth;

/**
 * The seed's {@code AuthenticationRequest} for {@code POST /api/v1/auth}.
 *
 * @param publicKey    optional; if given it must equal the registered key (the server never
 *                     verifies against a key the request carries)
 * @param timestamp    milliseconds since the epoch, within {@code AEGIS_AUTH_MAX_CLOCK_SKEW}
 * @param nonce        16-64 random characters, never reused by this agent within the skew window
 * @param signature    base64 Ed25519 signature over the canonical input (docs/PROTOCOL.md §16.1;
 *                     with {@code ephemeralKey}, §17.1)
 * @param ephemeralKey optional: base64 of the agent's X25519 ephemeral value eA, asking for record
 *                     keys for the HTTP transport (docs/PROTOCOL.md §17.1)
 * @param backendKeyId optional, only with {@code ephemeralKey}: hex key id of the backend key the
 *                     agent asks to be signed with (as {@code client_hello.backend_key_id}); the
 *                     signature covers it (docs/PROTOCOL.md §17.1)
 */
public record AuthenticationRequest(String agentId, String publicKey, Long timestamp, String nonce, String signature,
                                    String ephemeralKey, String backendKeyId) {}
