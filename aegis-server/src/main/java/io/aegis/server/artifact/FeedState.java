package io.aegis.server.artifact;

/**
 * What an agent's artifact feed depends on, read cheaply before any targeting query.
 *
 * @param maxSeq the highest artifact seq (0 when there is none)
 * @param fingerprint changes when an artifact is published or deleted, or the agent's labels change
 */
public record FeedState(long maxSeq, String fingerprint) {}
