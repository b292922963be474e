package io.aegis.server.cluster;

/** Why an agent's authentication is void on every node: each ends its sessions in its own way. */
public enum Revocation {
  /** The operator deactivated the agent: sessions close as revoked and stay closed. */
  DEACTIVATED,
  /** The agent was deleted: as deactivated. */
  DELETED,
  /** The agent rotated its identity key: sessions authenticated with the old key must authenticate again. */
  KEY_ROTATED
}
