package io.aegis.protocol.http;

import io.aegis.protocol.record.OpenedRecord;
import java.util.List;
import java.util.Objects;

/**
 * An agent's post as the gateway opened it ({@link HttpSession#openPost}).
 *
 * @param nonce   the post's 32-byte {@code nonce}: refuse it if the session has seen it before,
 *                and answer with {@link HttpSession#newAnswer}{@code (nonce, …)}
 * @param records the opened records, in order
 */
public record ReceivedPost(byte[] nonce, List<OpenedRecord> records) {

    /** Copies the nonce and the list. */
    public ReceivedPost {
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
        return o instanceof ReceivedPost p && java.util.Arrays.equals(nonce, p.nonce) && records.equals(p.records);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(nonce) * 31 + records.hashCode();
    }

    @Override
    public String toString() {
        return "ReceivedPost[" + records.size() + " records]";
    }
}
