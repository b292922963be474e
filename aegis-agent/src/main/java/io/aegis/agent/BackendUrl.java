package io.aegis.agent;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Turns the backend URL an operator gives into the agent WebSocket endpoint and the base URL of
 * the REST API (for the HTTP-polling fallback).
 *
 * <ul>
 * <li>{@code http://host:port[/prefix]} → {@code ws://host:port[/prefix]/ws/agent}, and
 *     {@code https} → {@code wss}: the base URL of the gateway, as for the REST API;</li>
 * <li>{@code ws://} or {@code wss://} with a path → used as given (a custom
 *     {@code WEBSOCKET_PATH}); without a path (or {@code /}) → {@code /ws/agent} appended.</li>
 * </ul>
 * The REST API ({@link #httpBase}) is at {@code http(s)://host:port[/prefix]} for an
 * {@code http(s)} URL, and at the root of {@code host:port} for a {@code ws(s)} URL (with
 * {@code ws} → {@code http}, {@code wss} → {@code https}). Query strings and fragments are
 * refused. Stateless.
 */
final class BackendUrl {

  /** The gateway's default {@code WEBSOCKET_PATH}. */
  static final String DEFAULT_PATH = "/ws/agent";

  private BackendUrl() {
  }

  /**
   * @throws IllegalArgumentException if the URL is not http, https, ws or wss with a host, or
   *     has a query or fragment
   */
  static URI endpoint(String url) {
    URI u;
    try {
      u = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("backend URL is not a URL: " + e.getMessage(), e);
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (u.getHost() == null) {
      throw new IllegalArgumentException("backend URL needs a host, like https://gateway.example.com: " + url);
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null) {
      throw new IllegalArgumentException("backend URL must not have a query or fragment: " + url);
    }
    String path = u.getRawPath() == null ? "" : u.getRawPath();
    String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String wsScheme;
    String wsPath;
    switch (scheme) {
      case "http", "https" -> {
        wsScheme = scheme.equals("http") ? "ws" : "wss";
        wsPath = trimmed + DEFAULT_PATH;
      }
      case "ws", "wss" -> {
        wsScheme = scheme;
        wsPath = trimmed.isEmpty() ? DEFAULT_PATH : path;
      }
      default -> throw new IllegalArgumentException(
          "backend URL must start with https://, wss://, http:// or ws://, was: " + url);
    }
    String authority = u.getRawAuthority();
    return URI.create(wsScheme + "://" + authority + wsPath);
  }

  /**
   * The base of the REST API, without a trailing slash: {@code https://host:port[/prefix]}.
   *
   * @throws IllegalArgumentException as {@link #endpoint(String)}
   */
  static URI httpBase(String url) {
    URI ws = endpoint(url); // validates
    URI u = URI.create(url.trim());
    String scheme = u.getScheme().toLowerCase(Locale.ROOT);
    String authority = u.getRawAuthority();
    return switch (scheme) {
      case "http", "https" -> {
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        while (path.endsWith("/")) {
          path = path.substring(0, path.length() - 1);
        }
        yield URI.create(scheme + "://" + authority + path);
      }
      default -> URI.create((ws.getScheme().equals("wss") ? "https" : "http") + "://" + authority);
    };
  }

  /** True for a loopback host, where plain {@code ws://} is normal (development). */
  static boolean isLoopback(URI endpoint) {
    String h = endpoint.getHost();
    return h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]") || h.equals("::1");
  }
}
