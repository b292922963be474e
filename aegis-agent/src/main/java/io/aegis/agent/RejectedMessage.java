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
 *                {@code misaddressed}, {@code expired}, or {@code invalid_body} (a
 *                {@code backend_key} announcement whose body is not a valid key)
 */
public record RejectedMessage(String id, String type, String channel, String reason) {
}
