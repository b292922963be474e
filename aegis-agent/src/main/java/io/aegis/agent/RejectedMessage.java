package io.aegis.agent;

/**
 * A backend message the client refused to deliver, as reported to
 * {@link Listener#rejectedMessage(RejectedMessage)}. The client acknowledged it to the gateway
 * with the reason (so the backend stops retrying) and did not call any handler.
 *
 * @param id      the message id
 * @param type    the message type
 * @param channel the channel
 * @param reason  why, one of {@code unsigned}, {@code unknown_signer}, {@code bad_signature},
 *                {@code misaddressed}, {@code expired}, {@code invalid_body} (a
 *                {@code backend_key} announcement whose body is not a valid key), or
 *                {@code no_handler} (a verified message on a channel with no handler, and no
 *                default handler)
 */
public record RejectedMessage(String id, String type, String channel, String reason) {
}
