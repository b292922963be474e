package io.aegis.protocol.record;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The agent's check of backend commands: signer key id is a pinned backend key, the signature
 * verifies (context {@code "Aegis 1, command"}), the audience is {@code "*"} or
 * {@code "agent:<this agent>"}, {@code expires_at} is 0 or after now, and the message id has not
 * been accepted before.
 *
 * <p><b>Seen set.</b> Accepted ids are remembered until their expiry (ids of commands without
 * expiry, until evicted). At most {@code capacity} ids are kept: when full, the id with the
 * earliest expiry is forgotten first (commands without expiry last, oldest first), and
 * {@link #evictions()} counts it. A forgotten id could be replayed within its remaining
 * lifetime, so size the capacity above the number of commands the backend issues within its
 * longest expiry, and prefer commands with an expiry. The set lives in memory: an agent that
 * restarts forgets it, which is another reason for short expiries.
 *
 * <p>Thread-safe.
 */
public final class CommandVerifier {

    /** Default capacity of the seen set. */
    public static final int DEFAULT_CAPACITY = 100_000;

    private record Entry(long expiresAt, long order, String id) implements Comparable<Entry> {
        @Override
        public int compareTo(Entry o) {
            int c = Long.compare(expiresAt, o.expiresAt);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private final String audienceSelf;
    private final PinnedBackendKeys pins;
    private final Clock clock;
    private final int capacity;
    private final Map<String, Entry> seen = new HashMap<>();
    private final TreeSet<Entry> byExpiry = new TreeSet<>();
    private long order;
    private long evictions;

    /**
     * @param agentId  this agent's id (the audience {@code "agent:<agentId>"} is accepted)
     * @param pins     the pinned backend keys
     * @param clock    source of "now" for expiry
     * @param capacity most ids remembered (at least 1)
     */
    public CommandVerifier(String agentId, PinnedBackendKeys pins, Clock clock, int capacity) {
        this.audienceSelf = Protocol.AUDIENCE_AGENT_PREFIX + Identifiers.requireAgentId(agentId);
        this.pins = Objects.requireNonNull(pins, "pins");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    /** Checks the signature block of an opened record. */
    public VerificationResult verify(OpenedRecord record) {
        return verify(record.id(), record.type(), record.channel(), record.bodyRaw(), record.signed());
    }

    /** Checks a signature block over (id, type, channel, body); records the id if accepted. */
    public VerificationResult verify(String id, String type, String channel, byte[] body, SignedBlock block) {
        if (block == null) {
            return VerificationResult.UNSIGNED;
        }
        IdentityPublicKey signer = pins.find(block.signerKeyIdRaw());
        if (signer == null) {
            return VerificationResult.UNKNOWN_SIGNER;
        }
        byte[] d = CommandSigner.digest(id, type, channel, block.audience(), block.expiresAt(), body);
        if (!signer.verify(Protocol.CONTEXT_COMMAND, d, block.signatureRaw())) {
            return VerificationResult.BAD_SIGNATURE;
        }
        String audience = block.audience();
        if (!audience.equals(Protocol.AUDIENCE_BROADCAST) && !audience.equals(audienceSelf)) {
            return VerificationResult.MISADDRESSED;
        }
        long now = clock.millis();
        if (block.expiresAt() != 0 && block.expiresAt() <= now) {
            return VerificationResult.EXPIRED;
        }
        synchronized (this) {
            purge(now);
            if (seen.containsKey(id)) {
                return VerificationResult.REPLAYED;
            }
            if (seen.size() >= capacity) {
                Entry evicted = byExpiry.pollFirst();
                seen.remove(evicted.id());
                evictions++;
            }
            Entry e = new Entry(block.expiresAt() == 0 ? Long.MAX_VALUE : block.expiresAt(), order++, id);
            seen.put(id, e);
            byExpiry.add(e);
        }
        return VerificationResult.ACCEPTED;
    }

    private void purge(long now) {
        while (!byExpiry.isEmpty() && byExpiry.first().expiresAt() <= now) {
            seen.remove(byExpiry.pollFirst().id());
        }
    }

    /** Number of ids currently remembered. */
    public synchronized int size() {
        return seen.size();
    }

    /** Number of unexpired ids forgotten because the set was full. */
    public synchronized long evictions() {
        return evictions;
    }
}
