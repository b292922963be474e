package io.aegis.server.registry;

import java.time.Instant;
import java.util.Map;

/**
 * An enrollment token as operators see it. The token itself appears only in the answer that
 * creates it ({@code token}); afterwards only its id.
 *
 * @param maxUses  how many agents may enroll with it (1 = single-use)
 * @param labels   labels given to every agent that enrolls with it
 */
public record EnrollmentToken(
    String id,
    String token,
    String description,
    int maxUses,
    int useCount,
    Map<String, String> labels,
    Instant expiresAt,
    boolean revoked,
    Instant createdAt) {}
