package io.aegis.protocol.http;

import io.aegis.protocol.SecureMessage;
import java.util.List;
import java.util.Objects;

/**
 * The body of one HTTP exchange as it travels: a nonce and the sealed records, in order.
 *
 * <ul>
 *   <li>An agent's {@code POST /api/v1/agents/{id}/messages}: {@code {"nonce": b64(32), "records": [...]}};
 *       the nonce is the agent's fresh {@code client_nonce}.</li>
 *   <li>A gateway answer (to a poll or to a post): {@code {"server_nonce": b64(16), "records": [...]}}.</li>
 * </ul>
 *
 * Encoded and decoded (strictly) by {@link io.aegis.protocol.WireJson}. Immutable.
 *
 * @param nonce   the exchange's nonce: 32 bytes from the agent, 16 from the gateway
 * @param records the sealed records, sequence 0, 1, 2… in this order
 */
public record RecordBatch(byte[] nonce, List<SecureMessage> records) {

    /** Copies the nonce and the list. */
    public RecordBatch {
        nonce = Objects.requireNonNull(nonce, "nonce").clone();
        records = List.copyOf(records);
    }

    /** A copy of {@code nonce}. */
    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordBatch b && java.util.Arrays.equals(nonce, b.nonce) && records.equals(b.records);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(nonce) * 31 + records.hashCode();
    }

    @Override
    public String toString() {
        return "RecordBatch[" + records.size() + " records]";
    }
}
