package io.aegis.server.artifact;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Request bodies for publishing artifacts in tests. */
final class Artifacts {
  private Artifacts() {}

  static Map<String, Object> everyone() {
    return Map.of("all", true);
  }

  static Map<String, Object> labels(Map<String, String> labels) {
    return Map.of("labels", labels);
  }

  static Map<String, Object> agents(String... ids) {
    return Map.of("agent_ids", List.of(ids));
  }

  /** A body publishing {@code content} inline; mutable, so a test can break one field. */
  static Map<String, Object> inline(String name, String version, byte[] content, Map<String, Object> target) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("version", version);
    m.put("sha256", sha256(content));
    m.put("size", content.length);
    m.put("content", Base64.getEncoder().encodeToString(content));
    m.put("target", target);
    return m;
  }

  static Map<String, Object> inline(String name, String version, String content, Map<String, Object> target) {
    return inline(name, version, content.getBytes(StandardCharsets.UTF_8), target);
  }

  /** A body publishing an artifact that agents download from {@code url}. */
  static Map<String, Object> remote(String name, String version, String url, Map<String, Object> target) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("version", version);
    m.put("sha256", sha256(url.getBytes(StandardCharsets.UTF_8)));
    m.put("size", 123_456_789L);
    m.put("download_url", url);
    m.put("target", target);
    return m;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
