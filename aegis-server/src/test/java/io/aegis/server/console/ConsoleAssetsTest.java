package io.aegis.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the gateway serves the console: its headers (Content-Security-Policy and friends), caching
 * (immutable versioned assets, a revalidated page), what {@code AEGIS_CONSOLE=false} turns off, and
 * static checks of the files themselves (no inline script or style, no HTML strings, every module
 * import resolves).
 */
class ConsoleAssetsTest {
  static final Pattern ASSET_REF = Pattern.compile("(?:src|href)=\"(assets/[0-9a-f]{16}/[^\"]+)\"");
  static final Pattern IMPORT = Pattern.compile("(?m)^\\s*import\\s[^;]*?from\\s+'([^']+)'|^\\s*import\\s+'([^']+)'");

  static TestGateway gw;
  static ApiClient web;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE);
    web = gw.anonymous();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static void assertSecured(ApiClient.Response r) {
    assertThat(r.header("Content-Security-Policy")).isEqualTo(ConsoleAssets.CONTENT_SECURITY_POLICY)
        .contains("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "form-action 'none'",
            "require-trusted-types-for 'script'")
        .doesNotContain("unsafe-inline", "unsafe-eval");
    assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(r.header("Referrer-Policy")).isEqualTo("no-referrer");
    assertThat(r.header("X-Frame-Options")).isEqualTo("DENY");
    assertThat(r.header("Set-Cookie")).isNull();
  }

  @Test
  void theConsoleRedirectsToItsDirectory() {
    var r = web.get("/console");
    assertThat(r.status()).isEqualTo(301);
    // Relative, so that it also works behind a proxy that mounts the gateway under a prefix.
    assertThat(r.header("Location")).isEqualTo("console/");
    assertSecured(r);
  }

  @Test
  void thePageIsRevalidatedAndCarriesTheSecurityHeaders() {
    var r = web.get("/console/");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).isEqualTo("text/html; charset=utf-8");
    assertThat(r.header("Cache-Control")).isEqualTo("no-cache");
    assertSecured(r);
    assertThat(r.body()).contains("<script type=\"module\" src=\"assets/").doesNotContain("{{assets}}");

    var again = web.get("/console/", Map.of("If-None-Match", r.header("ETag")));
    assertThat(again.status()).isEqualTo(304);
    assertThat(again.raw()).isEmpty();
    assertSecured(again);
  }

  @Test
  void assetsAreImmutableUnderTheirVersionAndAnotherVersionIsNotFound() {
    String page = web.get("/console/").body();
    List<String> refs = new ArrayList<>();
    Matcher m = ASSET_REF.matcher(page);
    while (m.find()) {
      refs.add(m.group(1));
    }
    assertThat(refs).anyMatch(s -> s.endsWith("/console.css")).anyMatch(s -> s.endsWith("/js/app.js"));
    for (String ref : refs) {
      var r = web.get("/console/" + ref);
      assertThat(r.status()).as(ref).isEqualTo(200);
      assertThat(r.header("Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
      assertSecured(r);
      assertThat(r.header("Content-Type")).as(ref).isEqualTo(ref.endsWith(".css") ? "text/css; charset=utf-8"
          : ref.endsWith(".js") ? "text/javascript; charset=utf-8" : "image/svg+xml");
      assertThat(web.get("/console/" + ref, Map.of("If-None-Match", r.header("ETag"))).status()).isEqualTo(304);
    }
    String app = refs.stream().filter(s -> s.endsWith("/js/app.js")).findFirst().orElseThrow();
    var stale = web.get("/console/" + app.replaceFirst("assets/[0-9a-f]{16}/", "assets/0123456789abcdef/"));
    assertThat(stale.status()).isEqualTo(404);
    assertThat(stale.header("Cache-Control")).isEqualTo("no-store");
    assertThat(web.get("/console/" + app.replace("app.js", "missing.js")).status()).isEqualTo(404);
    assertThat(web.get("/console/" + app.replace("js/app.js", "../../../index.html")).status()).isEqualTo(404);
    var head = web.send("HEAD", "/console/" + app, null, Map.of());
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.raw()).isEmpty();
  }

  @Test
  void anOperatorsTokenIsNotNeededForTheFilesAndNoneIsSet() {
    // The files are public (they hold no data); everything the console shows comes from the API.
    var r = web.get("/console/");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Set-Cookie")).isNull();
    assertThat(r.header("Access-Control-Allow-Origin")).isNull();
    var api = web.get("/api/v1/fleet/summary");
    assertThat(api.status()).isEqualTo(401);
    assertThat(api.header("Access-Control-Allow-Origin")).isNull();
  }

  @Test
  void turnedOffTheConsoleIsNotServedButTheFleetApiIs() {
    try (TestGateway off = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_CONSOLE", "false"))) {
      var page = off.anonymous().get("/console/");
      assertThat(page.status()).isEqualTo(404);
      assertThat(page.errorCode()).isEqualTo("not_found");
      assertThat(off.anonymous().get("/console").status()).isEqualTo(404);
      assertThat(off.operator().get("/api/v1/fleet/summary").status()).isEqualTo(200);
    }
  }

  /** The console's source files, path (relative to console/) → text. */
  static Map<String, String> sources() throws IOException, URISyntaxException {
    Path root = Path.of(ConsoleAssetsTest.class.getClassLoader().getResource("console/index.html").toURI()).getParent();
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        String name = root.relativize(p).toString().replace('\\', '/');
        if (name.endsWith(".html") || name.endsWith(".js") || name.endsWith(".css")) {
          files.put(name, Files.readString(p, StandardCharsets.UTF_8));
        }
      }
    }
    return files;
  }

  @Test
  void theFilesHaveNoInlineScriptOrStyleAndBuildNoMarkupFromStrings() throws Exception {
    Map<String, String> files = sources();
    assertThat(files).containsKeys("index.html", "assets/js/app.js", "assets/console.css");
    files.forEach((name, text) -> {
      if (name.endsWith(".html")) {
        assertThat(text).as(name).doesNotContainPattern("<script(?![^>]*\\ssrc=)").doesNotContain("<style")
            .doesNotContainPattern("\\sstyle=").doesNotContainPattern("\\son[a-z]+=");
      }
      if (name.endsWith(".js")) {
        assertThat(text).as(name).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
            "eval(", "new Function", "setAttribute('style'", "localStorage", "document.cookie");
      }
    });
  }

  @Test
  void everyModuleImportResolvesToAFile() throws Exception {
    Map<String, String> files = sources();
    files.forEach((name, text) -> {
      if (!name.endsWith(".js")) {
        return;
      }
      Matcher m = IMPORT.matcher(text);
      while (m.find()) {
        String target = m.group(1) != null ? m.group(1) : m.group(2);
        assertThat(target).as(name).startsWith(".");
        String resolved = Path.of(name).resolveSibling(target).normalize().toString().replace('\\', '/');
        assertThat(files).as(name + " imports " + target).containsKey(resolved);
      }
    });
  }
}
