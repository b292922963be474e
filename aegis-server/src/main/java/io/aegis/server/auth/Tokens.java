package io.aegis.server.auth;

import io.aegis.protocol.crypto.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Bearer tokens: 256 random bits, base64url, behind a prefix that says what the token is
 * ({@code aegis_op_} operator, {@code aegis_st_} agent session, {@code aegis_et_} enrollment) so
 * that secret scanners can find leaked ones. The store keeps only SHA-256 hashes; a lookup by
 * hash reveals nothing about the token through timing, and comparisons of hashes held in memory
 * are constant-time.
 */
public final class Tokens {
  public static final String OPERATOR = "aegis_op_";
  public static final String SESSION = "aegis_st_";
  public static final String ENROLLMENT = "aegis_et_";

  private static final SecureRandom RANDOM = new SecureRandom();

  private Tokens() {}

  public static String generate(String prefix) {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Lower-case hex SHA-256 of the token's UTF-8 bytes. */
  public static String hash(String token) {
    return HexFormat.of().formatHex(digest(token));
  }

  public static byte[] digest(String token) {
    return Sha256.hash(token.getBytes(StandardCharsets.UTF_8));
  }

  /** Constant-time comparison of a presented token with a known one, through their hashes. */
  public static boolean matches(String presented, byte[] knownDigest) {
    return MessageDigest.isEqual(digest(presented), knownDigest);
  }
}
