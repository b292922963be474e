package io.aegis.agent;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Fresh ids for agent→backend records: {@code a-<ms since epoch, hex>-<64 random bits, hex>},
 * for example {@code a-18f3a2b4c10-9f1c0d2e3a4b5c6d}. Unique without coordination (the random
 * part), sortable by time for a human reading logs, and within the message id syntax
 * {@code [A-Za-z0-9._:-]{1,128}}. Thread-safe.
 */
final class MessageIds {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private MessageIds() {
  }

  static String next(long nowMillis) {
    return "a-" + Long.toHexString(nowMillis) + "-" + HEX.toHexDigits(RANDOM.nextLong());
  }
}
