package io.aegis.bench.agent;

/**
 * The message body the benchmark sends: a JSON object {@code {"bench_t":<nanos>,"pad":"xx…"}}
 * whose {@code bench_t} is the sender's {@link System#nanoTime()} when the send started (the
 * generator and its simulated agents share one JVM, so the receiver subtracts it from its own
 * {@code nanoTime()}), padded with {@code x} to the requested size in bytes.
 */
public final class BenchPayload {
  private static final String KEY = "\"bench_t\":";

  private BenchPayload() {}

  /** A body of about {@code size} bytes (at least the bare timestamp object). */
  public static String create(int size, long nanos) {
    String head = "{" + KEY + nanos + ",\"pad\":\"";
    int pad = Math.max(0, size - head.length() - 2);
    StringBuilder sb = new StringBuilder(head.length() + pad + 2).append(head);
    sb.repeat('x', pad);
    return sb.append("\"}").toString();
  }

  /** The {@code bench_t} of a body (UTF-8 bytes; the JSON may be nested in an envelope), or -1. */
  public static long timestamp(byte[] body) {
    int n = body.length;
    outer:
    for (int i = 0; i + KEY.length() < n; i++) {
      for (int k = 0; k < KEY.length(); k++) {
        if (body[i + k] != KEY.charAt(k)) {
          continue outer;
        }
      }
      int j = i + KEY.length();
      boolean neg = j < n && body[j] == '-';
      if (neg) {
        j++;
      }
      long v = 0;
      int digits = 0;
      while (j < n && body[j] >= '0' && body[j] <= '9') {
        v = v * 10 + (body[j++] - '0');
        digits++;
      }
      return digits == 0 ? -1 : neg ? -v : v;
    }
    return -1;
  }
}
