package io.aegis.server.console;

import java.time.Instant;
import java.util.Map;

/**
 * How many agents match a filter, by state ({@code connected}, {@code offline}, {@code inactive};
 * they add up to {@code total}) and, for the connected ones, by transport.
 *
 * @param asOf when the counts were taken (they are cached for a moment; see {@code FleetRoutes})
 */
public record FleetSummary(long total, Map<String, Long> states, Map<String, Long> transports, Instant asOf) {}
