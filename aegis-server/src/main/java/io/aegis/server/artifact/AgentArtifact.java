package io.aegis.server.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * An artifact as the polling agent sees it: what to fetch and how to verify it, but not whom
 * else it targets.
 */
public record AgentArtifact(String id, String cursor, String name, String version, String sha256, long size,
                            String downloadUrl, String contentUrl, JsonNode metadata, Instant createdAt) {}
