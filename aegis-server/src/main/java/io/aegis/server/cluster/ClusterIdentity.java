package io.aegis.server.cluster;

import io.aegis.protocol.crypto.Hex;
import io.aegis.server.store.Database;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;

/**
 * The id of the cluster this node belongs to, kept in the shared database (table
 * {@code cluster_identity}): the nodes of one database are one cluster. The first node to ask
 * creates it; every later one reads the same value.
 */
final class ClusterIdentity {
  private ClusterIdentity() {}

  /** This database's cluster id (16 hex characters), created if it has none yet. */
  static String of(Database db) {
    byte[] random = new byte[8];
    new SecureRandom().nextBytes(random);
    String candidate = Hex.encode(random);
    return db.transaction(c -> {
      // Both dialects take this upsert: whoever commits first decides, the others read it.
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO cluster_identity (singleton, cluster_id, created_at)"
          + " VALUES (1, ?, ?) ON CONFLICT (singleton) DO NOTHING")) {
        ps.setString(1, candidate);
        db.dialect().setInstant(ps, 2, Instant.now());
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT cluster_id FROM cluster_identity WHERE singleton = 1");
           ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    });
  }
}
