package io.aegis.server.policy;

import java.util.List;

/**
 * The set of policies in force for one agent, sorted by name, each once.
 *
 * @param etag a digest of the set: it changes exactly when the set, a version or an assignment
 *     path changes, so an agent (or the live push) can tell whether anything is new
 */
public record EffectivePolicies(String agentId, List<EffectivePolicy> policies, String etag) {}
