package io.aegis.server.api;

import io.aegis.protocol.crypto.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Entity tags for conditional GETs: an agent that polls sends back the {@code ETag} it last saw in
 * {@code If-None-Match} and gets {@code 304 Not Modified} with no body while nothing changed.
 *
 * <p>Stateless and thread-safe.
 */
public final class ETags {
  private ETags() {}

  /** A strong tag (without quotes): a digest of {@code parts} in order. */
  public static String digest(Object... parts) {
    MessageDigest md = Sha256.newDigest();
    for (Object part : parts) {
      byte[] bytes = part instanceof byte[] b ? b : String.valueOf(part).getBytes(StandardCharsets.UTF_8);
      // Length-prefix each part so that ("ab","c") and ("a","bc") differ.
      md.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
      md.update((byte) ':');
      md.update(bytes);
    }
    return HexFormat.of().formatHex(md.digest(), 0, 16);
  }

  /** {@code tag} as a header value: {@code "tag"}. */
  public static String quoted(String tag) {
    return '"' + tag + '"';
  }

  /**
   * Whether the request's {@code If-None-Match} names {@code tag} (weak comparison, as RFC 9110
   * prescribes for If-None-Match; a list and {@code *} are understood).
   */
  public static boolean matches(ApiRequest request, String tag) {
    Optional<String> header = request.header("If-None-Match");
    if (header.isEmpty()) {
      return false;
    }
    for (String candidate : header.get().split(",")) {
      String c = candidate.trim();
      if (c.equals("*")) {
        return true;
      }
      if (c.startsWith("W/")) {
        c = c.substring(2);
      }
      if (c.length() >= 2 && c.startsWith("\"") && c.endsWith("\"")) {
        c = c.substring(1, c.length() - 1);
      }
      if (c.equals(tag)) {
        return true;
      }
    }
    return false;
  }
}
