package io.aegis.server.artifact;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An artifact to publish, already validated: exactly one of {@code content} and
 * {@code downloadUrl}; when content is given, {@code size} and {@code sha256} (lower-case hex)
 * describe it.
 */
public record NewArtifact(String name, String version, String sha256, long size, byte[] content,
                          String downloadUrl, ArtifactTarget target, JsonNode metadata) {}
