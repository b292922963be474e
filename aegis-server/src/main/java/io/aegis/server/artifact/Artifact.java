package io.aegis.server.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A published artifact as operators see it (its content is fetched separately). Immutable:
 * publishing the same name and version twice is refused.
 *
 * @param cursor the artifact's place in the publication order (its seq), as agents pass it in {@code since}
 * @param downloadUrl where agents download it, or null when the gateway holds the content
 * @param contentUrl the gateway path of the content, or null for a download_url artifact
 */
public record Artifact(String id, String cursor, String name, String version, String sha256, long size,
                       String downloadUrl, String contentUrl, ArtifactTarget target, JsonNode metadata,
                       Instant createdAt) {

  /** The descriptor the polling feed lists for a targeted agent (everything but the targeting). */
  public AgentArtifact forAgent() {
    return new AgentArtifact(id, cursor, name, version, sha256, size, downloadUrl, contentUrl, metadata, createdAt);
  }

  static String contentPath(String id) {
    return "/api/v1/artifacts/" + id + "/content";
  }
}
