package io.aegis.server.edge;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who a request comes from: the peer of its TCP connection, unless that peer is a proxy named in
 * {@code AEGIS_TRUSTED_PROXIES}: then the address that proxy says it forwarded for, the
 * right-most entry of {@code X-Forwarded-For} that is not itself a trusted proxy. A header from
 * anyone else is ignored, so a client cannot choose the address its limits are counted against.
 *
 * <p>Immutable; thread-safe.
 */
public final class ClientAddresses {
  /** One trusted network: an address and how many leading bits of it must match. */
  private record Network(byte[] address, int bits) {
    boolean contains(byte[] a) {
      if (a.length != address.length) {
        return false;
      }
      int full = bits / 8;
      for (int i = 0; i < full; i++) {
        if (a[i] != address[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      return rest == 0 || ((a[full] ^ address[full]) & (0xff << (8 - rest)) & 0xff) == 0;
    }
  }

  private final List<Network> trusted;

  private ClientAddresses(List<Network> trusted) {
    this.trusted = List.copyOf(trusted);
  }

  /**
   * Parses a comma-separated list of IP addresses and CIDR networks ({@code 10.0.0.0/8},
   * {@code ::1}); empty trusts no proxy.
   *
   * @throws IllegalArgumentException naming the entry that is not an address or network
   */
  public static ClientAddresses trusting(String list) {
    List<Network> nets = new ArrayList<>();
    for (String raw : list.split(",")) {
      String entry = raw.trim();
      if (entry.isEmpty()) {
        continue;
      }
      String[] parts = entry.split("/", 2);
      byte[] address = literal(parts[0]);
      if (address == null) {
        throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR network");
      }
      int bits = address.length * 8;
      if (parts.length == 2) {
        try {
          bits = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
          bits = -1;
        }
        if (bits < 0 || bits > address.length * 8) {
          throw new IllegalArgumentException("'" + entry + "' has an invalid prefix length");
        }
      }
      nets.add(new Network(address, bits));
    }
    return new ClientAddresses(nets);
  }

  /** Whether {@code ip} (a literal address) is a trusted proxy. */
  public boolean isTrustedProxy(String ip) {
    byte[] a = literal(ip);
    return a != null && trusted.stream().anyMatch(n -> n.contains(a));
  }

  /**
   * The client's address: {@code peer}, or, when {@code peer} is a trusted proxy, the right-most
   * address of {@code forwardedFor} (the {@code X-Forwarded-For} header, may be null) that is not a
   * trusted proxy.
   */
  public String resolve(String peer, String forwardedFor) {
    if (forwardedFor == null || trusted.isEmpty() || !isTrustedProxy(peer)) {
      return peer;
    }
    String[] hops = forwardedFor.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].trim();
      if (literal(hop) == null) {
        return peer; // a malformed header: count the proxy itself
      }
      if (!isTrustedProxy(hop)) {
        return hop;
      }
    }
    return peer;
  }

  /** The bytes of an IP literal, or null if {@code s} is not one (never a DNS lookup). */
  private static byte[] literal(String s) {
    if (s == null || s.isEmpty() || s.length() > 45) {
      return null;
    }
    boolean v6 = s.indexOf(':') >= 0;
    boolean literal = v6 ? s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')
        : s.indexOf('.') >= 0 && s.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
    if (!literal) {
      return null; // anything else would be looked up in DNS
    }
    try {
      return InetAddress.getByName(s).getAddress(); // a literal: parsed, not resolved
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
