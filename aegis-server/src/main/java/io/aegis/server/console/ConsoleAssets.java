package io.aegis.server.console;

import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.Sha256;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Serves the console's static files (the {@code console/} resources: {@code index.html} and the
 * HTML, CSS and JavaScript modules under {@code assets/}) from memory, with the headers that make
 * the console safe to open and cheap to reload.
 *
 * <p><b>Caching.</b> The assets are served under {@code /console/assets/<version>/}, where the
 * version is a hash of all their bytes, with {@code Cache-Control: immutable} for a year: a
 * browser fetches them once per release, and every node of one release serves the same URLs
 * behind a load balancer. {@code index.html} (which names the version) is revalidated on every
 * load ({@code no-cache} with an ETag), so an upgrade is picked up at the next reload and a page
 * never mixes the modules of two releases.
 *
 * <p><b>Headers.</b> A strict Content-Security-Policy: scripts, styles, images and requests only
 * from this origin, no inline script or style, no plugins, no {@code <base>}, no form submission,
 * no framing (clickjacking), and Trusted Types required, so that no string can become HTML or
 * script: the console builds its DOM with {@code textContent}, and what an agent reports (labels,
 * events) can never run. Also {@code nosniff}, {@code Referrer-Policy: no-referrer}, and
 * cross-origin isolation of the window and its resources.
 *
 * <p>Relative links throughout ({@code /console} redirects to {@code /console/}), so the console
 * also works behind a reverse proxy that mounts the gateway under a path prefix. Immutable after
 * construction; handlers never block.
 */
final class ConsoleAssets {
  static final String CONTENT_SECURITY_POLICY = String.join("; ",
      "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
      "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
      "require-trusted-types-for 'script'", "trusted-types 'none'");
  private static final String ROOT = "console";
  private static final String INDEX = "index.html";
  /** Where {@code index.html} names the versioned assets directory. */
  private static final String ASSETS_PLACEHOLDER = "{{assets}}";
  private static final String IMMUTABLE = "public, max-age=31536000, immutable";
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "svg", "image/svg+xml",
      "png", "image/png",
      "json", "application/json");

  private record Asset(byte[] content, String type, String etag) {}

  private final Asset index;
  private final String version;
  /** Path under {@code assets/} → asset. */
  private final Map<String, Asset> assets;

  private ConsoleAssets(Map<String, byte[]> files) {
    Map<String, Asset> byPath = new TreeMap<>();
    MessageDigest all = Sha256.newDigest();
    files.forEach((path, content) -> {
      if (path.startsWith("assets/")) {
        byPath.put(path.substring("assets/".length()), asset(path, content));
        all.update(path.getBytes(StandardCharsets.UTF_8));
        all.update(content);
      }
    });
    this.assets = Map.copyOf(byPath);
    this.version = Hex.encode(all.digest()).substring(0, 16);
    byte[] page = files.get(INDEX);
    if (page == null) {
      throw new IllegalStateException("the console's " + ROOT + "/" + INDEX + " is missing from the classpath");
    }
    String html = new String(page, StandardCharsets.UTF_8).replace(ASSETS_PLACEHOLDER, "assets/" + version);
    this.index = asset(INDEX, html.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads every file under the {@code console/} resources, from a directory or from the jar. */
  static ConsoleAssets load() {
    URL index = ConsoleAssets.class.getClassLoader().getResource(ROOT + "/" + INDEX);
    if (index == null) {
      throw new IllegalStateException("the console's " + ROOT + "/" + INDEX + " is missing from the classpath");
    }
    try {
      return new ConsoleAssets(index.getProtocol().equals("jar") ? readJar(index) : readDirectory(index));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the console's files", e);
    }
  }

  private static Map<String, byte[]> readDirectory(URL index) throws IOException {
    Path dir;
    try {
      dir = Path.of(index.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IOException("cannot locate the console's files: " + index, e);
    }
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        files.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
      }
    }
    return files;
  }

  private static Map<String, byte[]> readJar(URL index) throws IOException {
    JarURLConnection connection = (JarURLConnection) index.openConnection();
    // Not the JVM's shared copy: this one is ours to close.
    connection.setUseCaches(false);
    Map<String, byte[]> files = new TreeMap<>();
    String prefix = ROOT + "/";
    try (JarFile jar = connection.getJarFile()) {
      for (JarEntry entry : java.util.Collections.list(jar.entries())) {
        if (!entry.isDirectory() && entry.getName().startsWith(prefix)) {
          try (InputStream in = jar.getInputStream(entry)) {
            files.put(entry.getName().substring(prefix.length()), in.readAllBytes());
          }
        }
      }
    }
    return files;
  }

  private static Asset asset(String path, byte[] content) {
    String extension = path.substring(path.lastIndexOf('.') + 1);
    String type = TYPES.getOrDefault(extension, "application/octet-stream");
    return new Asset(content, type, "\"" + Hex.encode(Sha256.hash(content)).substring(0, 32) + "\"");
  }

  /** The hash that names this release's assets directory. */
  String version() {
    return version;
  }

  void mount(Router router) {
    // Vert.x matches "/console" and "/console/" alike: the page's relative links need the slash.
    router.route("/console").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
      if (ctx.request().path().endsWith("/")) {
        send(ctx, index, "no-cache");
      } else {
        secured(ctx.response()).setStatusCode(301).putHeader(HttpHeaders.LOCATION, "console/").end();
      }
    });
    String prefix = "/console/assets/" + version + "/";
    router.route("/console/assets/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
      String path = ctx.normalizedPath();
      Asset asset = path.startsWith(prefix) ? assets.get(path.substring(prefix.length())) : null;
      if (asset == null) {
        // Another release's assets (a tab opened before an upgrade) or no such file.
        secured(ctx.response()).setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
            .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").end("not found; reload the console");
        return;
      }
      send(ctx, asset, IMMUTABLE);
    });
  }

  private static void send(RoutingContext ctx, Asset asset, String cacheControl) {
    HttpServerResponse response = secured(ctx.response())
        .putHeader(HttpHeaders.CACHE_CONTROL, cacheControl)
        .putHeader(HttpHeaders.ETAG, asset.etag());
    String match = ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH);
    if (match != null && (match.contains(asset.etag()) || match.trim().equals("*"))) {
      response.setStatusCode(304).end();
      return;
    }
    // Vert.x sends no body to a HEAD request, only its length.
    response.putHeader(HttpHeaders.CONTENT_TYPE, asset.type()).end(Buffer.buffer(asset.content()));
  }

  /** The headers every console answer carries (see the class comment). */
  private static HttpServerResponse secured(HttpServerResponse response) {
    return response
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Cross-Origin-Opener-Policy", "same-origin")
        .putHeader("Cross-Origin-Resource-Policy", "same-origin")
        .putHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=(), payment=()");
  }
}
