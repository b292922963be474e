package io.aegis.server.delivery;

import io.aegis.server.api.ApiException;
import java.util.Locale;

/**
 * Delivery priority. Each agent's backlog is served strictly by priority, FIFO within one:
 * {@code control} messages (commands, policy updates) never wait behind {@code bulk} ones.
 */
public enum Priority {
  CONTROL,
  NORMAL,
  BULK;

  /** The rank stored in the {@code priority} column: 0 is served first. */
  public int rank() {
    return ordinal();
  }

  public static Priority ofRank(int rank) {
    return values()[Math.max(0, Math.min(rank, values().length - 1))];
  }

  public static Priority parse(String text) {
    if (text == null) {
      return NORMAL;
    }
    try {
      return valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("priority must be control, normal or bulk");
    }
  }

  @com.fasterxml.jackson.annotation.JsonValue
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
