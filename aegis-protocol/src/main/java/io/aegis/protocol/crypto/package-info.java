/**
 * Internal cryptographic and encoding helpers of the protocol library.
 *
 * <p><b>Not part of the public API</b>: these classes are public only so that the other packages
 * of this library can use them; they may change without notice. Applications use
 * {@link io.aegis.protocol.handshake} and {@link io.aegis.protocol.record}.
 *
 * <p>Secret byte arrays created here are zeroed after use on a best-effort basis
 * ({@link io.aegis.protocol.crypto.Secrets#erase(byte[]...)}). The JVM may still hold copies we
 * cannot reach: the JDK's {@code Mac} and {@code Cipher} copy keys internally, and the garbage
 * collector may have moved arrays before they were cleared.
 */
package io.aegis.protocol.crypto;
