package io.aegis.server.cluster;

/** Where an agent's live session is: the node that holds it, and over which transport. */
public record Location(String nodeId, Transport transport) {}
