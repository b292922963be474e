package io.aegis.server.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.crypto.Sha256;
import io.aegis.server.api.ApiException;
import io.aegis.server.registry.Labels;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /api/v1/artifacts}, and the rules that turn it into a {@link NewArtifact}.
 * Inline content is decoded strictly and must match the declared size and SHA-256, so that what
 * agents receive is exactly what the operator vouched for.
 */
record PublishRequest(String name, String version, String sha256, Long size, String content, String downloadUrl,
                      ArtifactTarget target, JsonNode metadata) {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,254}");
  static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");
  static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
  static final int MAX_URL_LENGTH = 2048;
  static final int MAX_TARGET_AGENTS = 1000;
  static final int MAX_TARGET_LABELS = 32;

  /** Validates every field; {@code maxContentSize} is {@code AEGIS_ARTIFACT_MAX_CONTENT_SIZE}. */
  NewArtifact validate(long maxContentSize) {
    require(name != null && NAME.matcher(name).matches(), "'name' is required: 1-255 characters of letters, "
        + "digits, '.', '_', '/' and '-', starting with a letter or digit");
    require(version != null && VERSION.matcher(version).matches(), "'version' is required: 1-128 characters of "
        + "letters, digits, '.', '_', '+' and '-', starting with a letter or digit");
    require(sha256 != null && SHA256.matcher(sha256).matches(), "'sha256' is required: 64 hexadecimal digits");
    require(size != null && size >= 0, "'size' is required: the artifact's length in bytes");
    require((content == null) != (downloadUrl == null),
        "give exactly one of 'content' (base64) and 'download_url' (https)");
    require(metadata == null || metadata.isObject(), "'metadata' must be a JSON object");
    String hash = sha256.toLowerCase(Locale.ROOT);
    byte[] bytes = content == null ? null : decode(maxContentSize, hash);
    if (downloadUrl != null) {
      checkUrl();
    }
    return new NewArtifact(name, version, hash, size, bytes, downloadUrl, checkTarget(),
        metadata == null ? JsonNodeFactory.instance.objectNode() : metadata);
  }

  private byte[] decode(long maxContentSize, String hash) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(content);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("'content' is not base64: " + e.getMessage());
    }
    // The JDK decoder tolerates missing padding and stray low bits; strict means canonical.
    require(Base64.getEncoder().encodeToString(bytes).equals(content),
        "'content' must be canonical base64 (RFC 4648 section 4, padded, no line breaks)");
    if (bytes.length > maxContentSize) {
      throw ApiException.tooLarge("content of " + bytes.length + " bytes exceeds the gateway's inline limit of "
          + maxContentSize + " bytes (AEGIS_ARTIFACT_MAX_CONTENT_SIZE); publish it with a download_url instead");
    }
    if (bytes.length != size) {
      throw ApiException.badRequest("size_mismatch", "'size' is " + size + " but the content is " + bytes.length + " bytes");
    }
    if (!HexFormat.of().formatHex(Sha256.hash(bytes)).equals(hash)) {
      throw ApiException.badRequest("checksum_mismatch", "'sha256' does not match the SHA-256 of the content");
    }
    return bytes;
  }

  private void checkUrl() {
    URI uri;
    try {
      uri = new URI(downloadUrl);
    } catch (URISyntaxException e) {
      throw ApiException.invalid("'download_url' is not a URL: " + e.getReason());
    }
    require(downloadUrl.length() <= MAX_URL_LENGTH && "https".equalsIgnoreCase(uri.getScheme())
            && uri.getHost() != null && uri.getRawUserInfo() == null,
        "'download_url' must be an absolute https:// URL of at most " + MAX_URL_LENGTH
            + " characters, without user:password@");
  }

  private ArtifactTarget checkTarget() {
    require(target != null, "'target' is required: {\"all\": true}, {\"labels\": {...}} or {\"agent_ids\": [...]}");
    int given = (target.all() != null ? 1 : 0) + (target.labels() != null ? 1 : 0) + (target.agentIds() != null ? 1 : 0);
    require(given == 1, "'target' must have exactly one of 'all', 'labels' and 'agent_ids'");
    if (target.all() != null) {
      require(target.all(), "'target.all' can only be true");
      return ArtifactTarget.everyone();
    }
    if (target.labels() != null) {
      Map<String, String> labels = target.labels();
      require(!labels.isEmpty() && labels.size() <= MAX_TARGET_LABELS,
          "'target.labels' must hold 1-" + MAX_TARGET_LABELS + " labels (use {\"all\": true} for every agent)");
      labels.forEach((k, v) -> {
        String error = Labels.error(k, v);
        require(error == null, "'target.labels' keys and values follow the label syntax: " + error);
      });
      return ArtifactTarget.withLabels(labels);
    }
    List<String> ids = target.agentIds();
    require(!ids.isEmpty() && ids.size() <= MAX_TARGET_AGENTS, "'target.agent_ids' must list 1-" + MAX_TARGET_AGENTS + " agents");
    for (String id : ids) {
      String error = Identifiers.agentIdError(id);
      require(error == null, "'target.agent_ids' entries are agent ids: " + error);
    }
    return ArtifactTarget.agents(new LinkedHashSet<>(ids).stream().sorted().toList());
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw ApiException.invalid(message);
    }
  }
}
