package io.aegis.server.audit;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.server.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Checks the audit log end to end ({@code bin/aegis admin audit verify}): every entry's hash
 * recomputed from its fields, each entry's {@code prev_hash} equal to the hash of the entry
 * before, seqs 1, 2, 3... without a gap, the head equal to the last entry, and every
 * checkpoint's signature valid under a trusted backend key and equal to the hash of the entry it
 * names. A changed entry fails its own hash; a removed one leaves a gap; a reordered one breaks
 * {@code prev_hash}; a chain rewritten from some entry on fails the checkpoints after it. What
 * came after the last checkpoint is only as safe as the store's access control until the next
 * signature (AEGIS_AUDIT_SIGN_INTERVAL).
 */
public final class AuditVerifier {
  private static final int MAX_PROBLEMS = 50;

  /**
   * The outcome: how much was checked and what was wrong (at most {@value #MAX_PROBLEMS} problems listed).
   *
   * @param prunedThrough the entries up to this seq were pruned at a signed checkpoint (0: none)
   */
  public record Report(long entries, long lastSeq, int checkpoints, long lastSignedSeq, long prunedThrough,
                       List<String> problems) {
    public boolean intact() {
      return problems.isEmpty();
    }
  }

  private final Database db;
  private final List<IdentityPublicKey> trusted;

  /** @param trusted the backend keys whose checkpoint signatures are accepted */
  public AuditVerifier(Database db, List<IdentityPublicKey> trusted) {
    this.db = db;
    this.trusted = List.copyOf(trusted);
  }

  public Report verify() {
    return db.read(c -> {
      List<String> problems = new ArrayList<>();
      Map<Long, String> hashes = new HashMap<>();
      long expected = 1;
      String prev = AuditEntry.GENESIS;
      long prunedThrough = 0;
      // A log pruned at a checkpoint (bin/aegis admin audit prune) starts after it: the chain goes
      // on from that checkpoint's hash, which its signature vouches for.
      long first;
      try (PreparedStatement ps = c.prepareStatement("SELECT MIN(seq) FROM audit_log"); ResultSet rs = ps.executeQuery()) {
        rs.next();
        first = rs.getLong(1);
      }
      if (first > 1) {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT hash, key_id, signature FROM audit_checkpoints WHERE seq = ?")) {
          ps.setLong(1, first - 1);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next() && signed(first - 1, rs.getString(1), rs.getString(2), rs.getString(3))) {
              expected = first;
              prev = rs.getString(1);
              prunedThrough = first - 1;
            }
          }
        }
      }
      long count = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM audit_log ORDER BY seq")) {
        ps.setFetchSize(1000);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            AuditEntry e = AuditLog.entry(rs);
            count++;
            if (e.seq() != expected) {
              problem(problems, (e.seq() - 1 > expected ? "entries " + expected + "-" + (e.seq() - 1) + " are"
                  : "entry " + expected + " is") + " missing (removed?)");
            } else if (!e.prevHash().equals(prev)) {
              problem(problems, "entry " + e.seq() + " does not follow entry " + (e.seq() - 1)
                  + " (prev_hash differs: reordered, or the entry before was changed)");
            }
            if (!e.computeHash().equals(e.hash())) {
              problem(problems, "entry " + e.seq() + " was changed (its hash does not match its fields)");
            }
            hashes.put(e.seq(), e.hash());
            expected = e.seq() + 1;
            prev = e.hash();
          }
        }
      }
      long lastSeq = expected - 1;
      try (PreparedStatement ps = c.prepareStatement("SELECT seq, hash FROM audit_head WHERE id = 1");
           ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          problem(problems, "audit_head is missing");
        } else if (rs.getLong(1) != lastSeq || !rs.getString(2).equals(prev)) {
          problem(problems, "the head says entry " + rs.getLong(1) + " is the last, the log ends at " + lastSeq
              + " (entries removed from the end, or the head changed)");
        }
      }
      int checkpoints = 0;
      long lastSigned = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT seq, hash, key_id, signature FROM audit_checkpoints ORDER BY seq");
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          checkpoints++;
          long seq = rs.getLong(1);
          String hash = rs.getString(2);
          String keyId = rs.getString(3);
          if (trusted.stream().noneMatch(k -> k.keyIdHex().equals(keyId))) {
            problem(problems, "checkpoint " + seq + " is signed by key " + keyId + ", which is not trusted");
          } else if (!signed(seq, hash, keyId, rs.getString(4))) {
            problem(problems, "checkpoint " + seq + " has a bad signature");
          } else if (seq <= prunedThrough) {
            lastSigned = Math.max(lastSigned, seq); // its entries were pruned; the signature is what is left
          } else if (!hash.equals(hashes.get(seq))) {
            problem(problems, "checkpoint " + seq + " signed a chain that is no longer there (entries up to "
                + seq + " were rewritten or removed)");
          } else {
            lastSigned = Math.max(lastSigned, seq);
          }
        }
      }
      return new Report(count, lastSeq, checkpoints, lastSigned, prunedThrough, List.copyOf(problems));
    });
  }

  /** Whether a checkpoint's signature verifies under a trusted key. */
  private boolean signed(long seq, String hash, String keyId, String signature) {
    IdentityPublicKey key = trusted.stream().filter(k -> k.keyIdHex().equals(keyId)).findFirst().orElse(null);
    try {
      return key != null && key.verify(AuditEntry.CHECKPOINT_CONTEXT, AuditEntry.checkpointDigest(seq, hash),
          HexFormat.of().parseHex(signature));
    } catch (IllegalArgumentException malformed) {
      return false;
    }
  }

  private static void problem(List<String> problems, String text) {
    if (problems.size() < MAX_PROBLEMS) {
      problems.add(text);
    }
  }
}
