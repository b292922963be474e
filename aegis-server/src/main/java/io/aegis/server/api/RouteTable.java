package io.aegis.server.api;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The API's routes matched segment by segment, in front of Vert.x Web's router. That router
 * matches a route with a path parameter by running its regular expression, and does so for every
 * such route registered before the one that matches, before it even looks at the method: a
 * request for {@code POST /api/v1/agents/{agent_id}/send} ran dozens of them. Here a path is split
 * once and compared, as strings, with the templates of its length only.
 *
 * <p>A path that matches no route, or one whose parameter is percent-encoded, goes on to Vert.x's
 * router, where every route is registered too, and is answered there as before (decoded
 * parameters, 404). A path that exists only with other methods is answered 405 here (Vert.x's
 * catch-all 404 route would have taken it). Routes are tried in the order they were added, as
 * Vert.x tries them. Add every route before the server starts; matching is then thread-safe.
 */
final class RouteTable {

  /** One route: its method and segments; a parameter segment is null in {@code literals} and named in {@code params}. */
  private record Template(HttpMethod method, String[] literals, String[] params, Handler<RoutingContext> handler) {

    /**
     * Whether {@code segments} fit this template: its literals equal, a parameter's segment not
     * empty. {@code bindable} also needs every parameter's segment free of percent-encoding.
     */
    boolean matches(String[] segments, boolean bindable) {
      for (int i = 0; i < segments.length; i++) {
        String literal = literals[i];
        if (literal != null ? !literal.equals(segments[i])
            : segments[i].isEmpty() || bindable && segments[i].indexOf('%') >= 0) {
          return false;
        }
      }
      return true;
    }
  }

  private final Map<Integer, List<Template>> byLength = new HashMap<>();

  /** Adds a route at {@code path}, Vert.x syntax ({@code /api/v1/agents/:agent_id/send}). */
  void add(HttpMethod method, String path, Handler<RoutingContext> handler) {
    String[] segments = split(path);
    String[] literals = new String[segments.length];
    String[] params = new String[segments.length];
    for (int i = 0; i < segments.length; i++) {
      if (segments[i].startsWith(":")) {
        params[i] = segments[i].substring(1);
      } else {
        literals[i] = segments[i];
      }
    }
    byLength.computeIfAbsent(segments.length, n -> new ArrayList<>())
        .add(new Template(method, literals, params, handler));
  }

  /**
   * Runs the handler of the first route that matches the request's path and method, with its path
   * parameters bound. A path that exists only with other methods is answered 405 with
   * {@code Allow}; anything else (no such path, or a percent-encoded parameter) is handed on
   * ({@code ctx.next()}).
   */
  void dispatch(RoutingContext ctx) {
    String[] segments = split(ctx.normalizedPath());
    List<Template> candidates = byLength.getOrDefault(segments.length, List.of());
    HttpMethod method = ctx.request().method();
    for (Template t : candidates) {
      if (t.method().equals(method) && t.matches(segments, true)) {
        for (int i = 0; i < segments.length; i++) {
          if (t.params()[i] != null) {
            ctx.pathParams().put(t.params()[i], segments[i]);
          }
        }
        t.handler().handle(ctx);
        return;
      }
    }
    java.util.Set<String> allowed = new java.util.TreeSet<>();
    for (Template t : candidates) {
      if (t.matches(segments, false)) {
        if (t.method().equals(method)) { // a percent-encoded parameter: Vert.x decodes it
          ctx.next();
          return;
        }
        allowed.add(t.method().name());
      }
    }
    if (allowed.isEmpty()) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("Allow", String.join(", ", allowed));
    ApiRouter.sendError(ctx, 405, "method_not_allowed",
        "method " + method + " is not allowed on " + ctx.request().path() + "; allowed: " + String.join(", ", allowed));
  }

  /** The segments of {@code path} after its leading slash, a trailing slash ignored (as Vert.x does). */
  private static String[] split(String path) {
    int end = path.length() > 1 && path.endsWith("/") ? path.length() - 1 : path.length();
    int start = path.startsWith("/") ? 1 : 0;
    int n = 1;
    for (int i = start; i < end; i++) {
      if (path.charAt(i) == '/') {
        n++;
      }
    }
    String[] segments = new String[n];
    int k = 0;
    for (int i = start; i <= end; i++) {
      if (i == end || path.charAt(i) == '/') {
        segments[k++] = path.substring(start, i);
        start = i + 1;
      }
    }
    return segments;
  }
}
