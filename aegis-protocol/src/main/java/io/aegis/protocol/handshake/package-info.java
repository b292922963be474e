/**
 * The three-message handshake (SIGMA-I with TLS 1.3 conventions) that authenticates agent and
 * gateway to each other and derives a session: {@link io.aegis.protocol.handshake.ClientHandshake}
 * on the agent, {@link io.aegis.protocol.handshake.ServerHandshake} on the gateway, and the wire
 * messages {@link io.aegis.protocol.handshake.ClientHello},
 * {@link io.aegis.protocol.handshake.ServerHello}, {@link io.aegis.protocol.handshake.ClientAuth}
 * and {@link io.aegis.protocol.handshake.AuthenticationResponse}.
 */
package io.aegis.protocol.handshake;
