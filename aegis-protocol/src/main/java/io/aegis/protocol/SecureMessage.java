package io.aegis.protocol;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The record envelope: one WebSocket text frame after the handshake (the seed's
 * {@code SecureMessage}).
 *
 * <pre>
 * {"id":"…","type":"…","channel":"…","payload":"b64(ciphertext‖tag)","timestamp":ms,
 *  "nonce":"b64(12 bytes)","signature":"","headers":{"key":"value"}}
 * </pre>
 *
 * <p>The constructor checks the syntax of {@code id}, {@code type}, {@code channel} and
 * {@code headers} (see {@link Identifiers}); {@code payload} and {@code nonce} are checked when the
 * record is opened. Headers are kept sorted by key (which, for their ASCII keys, is the order of
 * their UTF-8 bytes used in the associated data). {@code signature} is always empty in version 1:
 * signatures travel inside the encryption.
 *
 * @param id        message id, unique per sender
 * @param type      message type, see {@link MessageTypes}
 * @param channel   channel name
 * @param payload   base64 of ciphertext ‖ tag
 * @param timestamp sender's clock, milliseconds since the epoch (≥ 0)
 * @param nonce     base64 of the 12-byte AEAD nonce
 * @param signature always {@code ""} in version 1
 * @param headers   clear but authenticated metadata
 */
public record SecureMessage(String id, String type, String channel, String payload, long timestamp,
                            String nonce, String signature, Map<String, String> headers) {

    /** Validates the fields and copies the headers into an immutable sorted map. */
    public SecureMessage {
        Identifiers.requireMessageId(id);
        Identifiers.requireMessageType(type);
        Identifiers.requireChannel(channel);
        Identifiers.requireHeaders(headers);
        if (payload == null || nonce == null || signature == null) {
            throw new IllegalArgumentException("payload, nonce and signature must not be null");
        }
        if (timestamp < 0) {
            throw new IllegalArgumentException("timestamp must be ≥ 0, was " + timestamp);
        }
        headers = headers.isEmpty() ? Collections.emptySortedMap()
                : Collections.unmodifiableSortedMap(new TreeMap<>(headers));
    }
}
