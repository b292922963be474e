/**
 * The HTTP transport of the record layer, for agents that cannot hold a WebSocket
 * (docs/PROTOCOL.md, "HTTP transport"): record keys agreed inside {@code POST /api/v1/auth}
 * ({@link io.aegis.protocol.http.HttpSessionKeys}), and per-exchange keys for every poll and post
 * ({@link io.aegis.protocol.http.HttpSession}, {@link io.aegis.protocol.http.HttpExchange}).
 *
 * <p>An agent's fallback in five calls:
 * <pre>{@code
 * HttpSessionKeys.Offer offer = HttpSessionKeys.offer(agentKey, agentId, now, authNonce, random);
 * // POST /api/v1/auth with offer.request()'s fields; read the answer's extra fields into a Response
 * HttpSession session = offer.complete(pins, response, clock, maxFrameBytes);
 * AgentPoll poll = session.newPoll(random);       // GET …/messages/poll, header X-Aegis-Client-Nonce
 * List<OpenedRecord> records = poll.openAnswer(body);
 * AgentPost post = session.newPost(random);       // seal acks, events, responses; POST …/messages
 * }</pre>
 * Commands inside are signed as over WebSocket: verify them with
 * {@link io.aegis.protocol.record.CommandVerifier}.
 */
package io.aegis.protocol.http;
