package io.aegis.agent.reference;

import io.aegis.protocol.handshake.HandshakeException;

/**
 * Why a session did not open (or ended), in words an operator can act on, and whether trying
 * again could help: an agent the gateway does not accept, a backend key that is not the pinned
 * one, or a certificate that is not trusted stay so until someone changes something; a gateway
 * that is down or busy may come back.
 *
 * @param words  what happened and what to do
 * @param lasting true if reconnecting will not fix it
 */
record SessionProblem(String words, boolean lasting) {

  /**
   * Classifies a failed connection.
   *
   * @param code      the close code the listener got
   * @param reason    the close reason or the SDK's description ({@code "upgrade refused: HTTP 401"},
   *                  {@code "cannot connect: ConnectException: …"})
   * @param handshake the handshake error reported just before, or null
   */
  static SessionProblem of(int code, String reason, HandshakeException handshake) {
    String r = reason == null ? "" : reason;
    if (handshake != null) {
      return switch (handshake.reason()) {
        case UNKNOWN_BACKEND_KEY, BAD_SIGNATURE -> new SessionProblem("pin mismatch: the gateway's backend key is not "
            + "the pinned --backend-key (" + handshake.getMessage() + "); pin the key its banner shows, or its "
            + "public.pem", true);
        case REJECTED_BY_SERVER -> refusedAgent("the handshake was refused");
        default -> new SessionProblem("the handshake failed: " + handshake.getMessage(), false);
      };
    }
    if (r.startsWith("upgrade refused: HTTP ")) {
      String status = r.substring("upgrade refused: HTTP ".length()).trim();
      return switch (status) {
        case "401", "403" -> refusedAgent("HTTP " + status);
        case "404" -> new SessionProblem("the gateway has no agent endpoint at this URL (HTTP 404): is --url the "
            + "gateway's base URL?", true);
        case "429" -> new SessionProblem("the gateway is rate-limiting connections from this address (HTTP 429)", false);
        case "503" -> new SessionProblem("the gateway is full or shutting down (HTTP 503)", false);
        default -> new SessionProblem("the gateway refused the connection (HTTP " + status + ")", false);
      };
    }
    if (r.contains("SSLHandshakeException") || r.contains("CertificateException") || r.contains("PKIX")
        || r.contains("certificate")) {
      return new SessionProblem("TLS: the gateway's certificate is not trusted (" + detail(r) + "); if it comes from a "
          + "private CA or is self-signed, give that CA with --ca-cert FILE", true);
    }
    if (r.contains("SSLException") || r.contains("plaintext")) {
      return new SessionProblem("TLS failed (" + detail(r) + "): does --url say https:// for a gateway without TLS, "
          + "or http:// for one with TLS?", true);
    }
    if (r.contains("UnresolvedAddressException") || r.contains("UnknownHostException")) {
      return new SessionProblem("gateway unreachable: unknown host (is --url right?)", true);
    }
    if (r.contains("ConnectException") || r.contains("Connection refused")) {
      return new SessionProblem("gateway unreachable: connection refused (is it running, and is --url right?)", false);
    }
    if (r.contains("Timeout") || r.contains("timed out")) {
      return new SessionProblem("gateway unreachable: no answer in time (" + detail(r) + ")", false);
    }
    return new SessionProblem("the connection ended: " + code + (r.isEmpty() ? "" : " " + r), false);
  }

  private static SessionProblem refusedAgent(String how) {
    return new SessionProblem("the gateway does not accept this agent (" + how + "): the agent id is not registered, "
        + "the agent is inactive, or --key is not the key registered for it", true);
  }

  /** The part of an SDK description after its "cannot connect: Exception: " prefix. */
  private static String detail(String reason) {
    String r = reason.startsWith("cannot connect: ") ? reason.substring("cannot connect: ".length()) : reason;
    int colon = r.indexOf(": ");
    return colon > 0 && r.substring(0, colon).endsWith("Exception") ? r.substring(colon + 2) : r;
  }
}
