/**
 * Public basics of the Aegis agent protocol, version 1: constants ({@link io.aegis.protocol.Protocol}),
 * the record envelope ({@link io.aegis.protocol.SecureMessage}) and its strict JSON codec
 * ({@link io.aegis.protocol.WireJson}), identity keys ({@link io.aegis.protocol.IdentityKeyPair},
 * {@link io.aegis.protocol.IdentityPublicKey}, {@link io.aegis.protocol.KeyFiles}), name syntax
 * ({@link io.aegis.protocol.Identifiers}), close codes ({@link io.aegis.protocol.CloseCode}), and the
 * signatures of the REST calls agents make with their identity key ({@link io.aegis.protocol.HttpAuth},
 * {@link io.aegis.protocol.KeyRotation}).
 *
 * <p>The library does no I/O other than {@link io.aegis.protocol.KeyFiles}. The contract is
 * {@code docs/PROTOCOL.md}.
 */
package io.aegis.protocol;
