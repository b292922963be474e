package io.aegis.protocol.record;

import io.aegis.protocol.Identifiers;
import java.util.Arrays;
import java.util.Objects;

/**
 * A message together with its precomputed {@link SignedBlock}, as made by {@link CommandSigner}.
 * Seal it into any number of sessions with {@link SecureChannel#seal(SignedCommand, java.util.Map)}:
 * the signature is computed once. Immutable (the body is copied in and out).
 *
 * @param id      message id
 * @param type    message type
 * @param channel channel
 * @param body    UTF-8 JSON body
 * @param block   the signature block over exactly these values
 */
public record SignedCommand(String id, String type, String channel, byte[] body, SignedBlock block) {

    /** Validates the names and copies the body. */
    public SignedCommand {
        Identifiers.requireMessageId(id);
        Identifiers.requireMessageType(type);
        Identifiers.requireChannel(channel);
        Objects.requireNonNull(block, "block");
        body = Objects.requireNonNull(body, "body").clone();
    }

    /** A copy of {@code body}. */
    @Override
    public byte[] body() {
        return body.clone();
    }

    byte[] bodyRaw() {
        return body;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedCommand c && id.equals(c.id) && type.equals(c.type) && channel.equals(c.channel)
                && Arrays.equals(body, c.body) && block.equals(c.block);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, type, channel, Arrays.hashCode(body), block);
    }
}
