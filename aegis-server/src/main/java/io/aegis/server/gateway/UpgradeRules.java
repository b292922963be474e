package io.aegis.server.gateway;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.Base64;

/**
 * What RFC 6455 §4.1–4.2 asks of an opening handshake, checked before anything else is spent on it:
 * HTTP/1.1, {@code Sec-WebSocket-Version: 13} exactly, and a {@code Sec-WebSocket-Key} that is the
 * base64 of 16 bytes. Vert.x (through Netty) would upgrade an HTTP/1.0 request, a malformed key and
 * the drafts' versions 7 and 8, and answer a list such as {@code 13,8} with a bare 426; agents only
 * ever send the RFC's form, so anything else is refused with the gateway's usual JSON error.
 */
final class UpgradeRules {
  /** The one WebSocket version the gateway speaks. */
  static final String VERSION = "13";

  /** Why {@code req} is not a well-formed opening handshake, or null if it is one. */
  record Refusal(int status, String code, String message) {}

  private UpgradeRules() {}

  static Refusal check(HttpServerRequest req) {
    if (req.version() != HttpVersion.HTTP_1_1) {
      return new Refusal(400, "bad_request", "a WebSocket upgrade needs HTTP/1.1 (RFC 6455 section 4.1)");
    }
    if (!VERSION.equals(req.getHeader("Sec-WebSocket-Version"))) {
      return new Refusal(426, "upgrade_required", "Sec-WebSocket-Version must be 13");
    }
    String key = req.getHeader("Sec-WebSocket-Key");
    if (key == null || !isNonce(key.strip())) {
      return new Refusal(400, "bad_request", "Sec-WebSocket-Key must be the base64 of 16 bytes (RFC 6455 section 4.1)");
    }
    return null;
  }

  private static boolean isNonce(String key) {
    if (key.length() != 24) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(key).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
