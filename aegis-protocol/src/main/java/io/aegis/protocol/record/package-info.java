/**
 * The record layer: every frame after the handshake is one {@link io.aegis.protocol.SecureMessage}
 * whose payload is sealed by a {@link io.aegis.protocol.record.SecureChannel}, plus the command
 * signatures carried inside the encryption ({@link io.aegis.protocol.record.CommandSigner},
 * {@link io.aegis.protocol.record.CommandVerifier},
 * {@link io.aegis.protocol.record.AgentMessageVerifier}).
 */
package io.aegis.protocol.record;
