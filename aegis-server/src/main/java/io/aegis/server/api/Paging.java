package io.aegis.server.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Keyset pagination as every list endpoint offers it: {@code limit} (1–1000, default 100) and an
 * opaque {@code cursor} that encodes the sort key of the last item returned. Clients must treat
 * a cursor as opaque; it is base64url so that it survives a query string unescaped.
 *
 * <p>Stateless and thread-safe.
 */
public final class Paging {
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  // Cursor parts are joined with a character that no sort key we page on can contain.
  private static final String SEPARATOR = "\n";

  private Paging() {}

  /** The {@code limit} query parameter; 400 outside 1–1000. */
  public static int limit(ApiRequest request) {
    return request.queryInt("limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
  }

  /** A cursor holding the sort key {@code parts} of the last item on a page. */
  public static String encode(Object... parts) {
    StringBuilder b = new StringBuilder();
    for (Object part : parts) {
      String s = String.valueOf(part);
      if (s.contains(SEPARATOR)) {
        throw new IllegalArgumentException("a cursor part cannot contain a line break: " + s);
      }
      if (!b.isEmpty()) {
        b.append(SEPARATOR);
      }
      b.append(s);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The {@code cursor} query parameter split into its {@code parts} parts, or empty for the first
   * page; 400 {@code invalid_cursor} if it is not a cursor this endpoint issued.
   */
  public static Optional<List<String>> cursor(ApiRequest request, int parts) {
    return request.query("cursor").map(c -> decode(c, parts));
  }

  static List<String> decode(String cursor, int parts) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      List<String> values = List.of(text.split(SEPARATOR, -1));
      if (values.size() == parts) {
        return values;
      }
    } catch (IllegalArgumentException e) {
      // not base64url: fall through to the same answer as a wrong shape
    }
    throw invalidCursor();
  }

  /** A number inside a decoded cursor; 400 {@code invalid_cursor} if it is not one. */
  public static long number(String part) {
    try {
      return Long.parseLong(part);
    } catch (NumberFormatException e) {
      throw invalidCursor();
    }
  }

  private static ApiException invalidCursor() {
    return ApiException.badRequest("invalid_cursor",
        "the cursor is not one this endpoint issued; pass next_cursor from the previous page unchanged");
  }
}
