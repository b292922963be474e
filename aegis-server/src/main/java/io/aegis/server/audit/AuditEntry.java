package io.aegis.server.audit;

import io.aegis.protocol.crypto.Sha256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * One entry of the audit log: who (token id and name, from which address, through which node),
 * what (the route and the resource as requested, the message ids it created, a digest of the
 * request body), when, and with what outcome (HTTP status and error code).
 *
 * <p>Its {@link #hash} covers every field and the previous entry's hash, so that changing,
 * removing or reordering an entry breaks the chain from there on (docs/API.md "Audit log" gives
 * the encoding, for verifiers written elsewhere).
 */
public record AuditEntry(long seq, long atMillis, String nodeId, String tokenId, String tokenName, String address,
                         String action, String resource, int status, String errorCode, String messageIds,
                         String bodyDigest, String prevHash, String hash) {

  /** The hash before the first entry. */
  public static final String GENESIS = "0".repeat(64);

  static final byte[] LABEL = "aegis-audit-v1".getBytes(StandardCharsets.UTF_8);

  /** This entry with its hash computed from its fields and {@code prevHash}. */
  public AuditEntry sealed() {
    return new AuditEntry(seq, atMillis, nodeId, tokenId, tokenName, address, action, resource, status, errorCode,
        messageIds, bodyDigest, prevHash, computeHash());
  }

  /**
   * SHA-256 over {@code "aegis-audit-v1"} and then each field, in the record's order up to
   * {@code prevHash}, as its UTF-8 bytes behind their length (4 bytes, big-endian); numbers as
   * decimal text. Lower-case hex.
   */
  public String computeHash() {
    MessageDigest sha = Sha256.newDigest();
    sha.update(LABEL);
    for (String field : new String[] {Long.toString(seq), Long.toString(atMillis), nodeId, tokenId, tokenName,
        address, action, resource, Integer.toString(status), errorCode, messageIds, bodyDigest, prevHash}) {
      byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
      sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
      sha.update(bytes);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /**
   * What a checkpoint's signature covers: SHA-256 of the entry's seq (8 bytes, big-endian) and
   * its hash (32 bytes), signed with the context {@value #CHECKPOINT_CONTEXT}.
   */
  public static byte[] checkpointDigest(long seq, String hash) {
    MessageDigest sha = Sha256.newDigest();
    sha.update(ByteBuffer.allocate(8).putLong(seq).array());
    sha.update(HexFormat.of().parseHex(hash));
    return sha.digest();
  }

  public static final String CHECKPOINT_CONTEXT = "aegis audit checkpoint v1";

  /** Lower-case hex SHA-256 of {@code bytes}. */
  public static String digest(byte[] bytes) {
    return HexFormat.of().formatHex(Sha256.hash(bytes));
  }
}
