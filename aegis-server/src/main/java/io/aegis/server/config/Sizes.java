package io.aegis.server.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses byte sizes: {@code 1048576}, {@code 512KiB}, {@code 1MiB}, {@code 2GiB} (also K, M, G, KB, MB, GB as binary units). */
public final class Sizes {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(|B|K|KB|KiB|M|MB|MiB|G|GB|GiB)", Pattern.CASE_INSENSITIVE);

  private Sizes() {}

  /** @throws IllegalArgumentException with a message that does not repeat the text (the caller shows it) */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("is not a size (examples: 65536, 64KiB, 1MiB)");
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("is too large");
    }
    String unit = m.group(2).toUpperCase();
    long mult = unit.startsWith("K") ? 1L << 10 : unit.startsWith("M") ? 1L << 20 : unit.startsWith("G") ? 1L << 30 : 1;
    if (n > Long.MAX_VALUE / mult) {
      throw new IllegalArgumentException("is too large");
    }
    return n * mult;
  }

  public static String format(long bytes) {
    if (bytes > 0 && bytes % (1 << 20) == 0) {
      return bytes / (1 << 20) + "MiB";
    }
    if (bytes > 0 && bytes % 1024 == 0) {
      return bytes / 1024 + "KiB";
    }
    return Long.toString(bytes);
  }
}
