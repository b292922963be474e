package io.aegis.server.tls;

import io.aegis.server.config.Config;
import io.aegis.server.config.Durations;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's transport security. With {@code TLS_CERT_PATH} and {@code TLS_KEY_PATH} the one
 * listener serves HTTPS and WSS only (TLS 1.3, or 1.2 for older clients; nothing older), and
 * the two files are polled every {@code AEGIS_TLS_RELOAD_INTERVAL}: when their content changes
 * the new pair is checked ({@link TlsCredentials}) and swapped in with
 * {@link HttpServer#updateSSLOptions}. New connections get the new certificate; established
 * ones, agent sessions included, are untouched. A pair that does not check out is logged and the
 * current certificate stays. {@code aegis_tls_certificate_expiry_seconds} is the serving
 * certificate's not-after.
 *
 * <p>Without TLS it is the null object ({@link #watch} and {@link #close} do nothing) and
 * {@link #configure} logs what the listener exposes in clear; {@link Config} has already refused
 * plain HTTP on a non-loopback address unless {@code AEGIS_ALLOW_INSECURE=true}.
 *
 * <p>Thread-safe: polls run one at a time on a worker thread, the swap on the event loop.
 */
public final class TlsReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);

  /** TLS 1.3 preferred (the JDK negotiates the highest both sides have), 1.2 for older clients, nothing older. */
  public static final Set<String> PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2");

  private final Vertx vertx;
  private final Config.TlsFiles files;
  private final Duration interval;
  private final Counter reloaded;
  private final Counter refused;
  private final AtomicBoolean polling = new AtomicBoolean();
  private volatile TlsCredentials current;
  private volatile String lastSeenHash;
  private volatile List<HttpServer> servers = List.of();
  private volatile long timer = -1;

  private TlsReloader(Vertx vertx, Config.TlsFiles files, Duration interval, TlsCredentials initial,
                      MeterRegistry meters) {
    this.vertx = vertx;
    this.files = files;
    this.interval = interval;
    this.current = initial;
    this.lastSeenHash = initial == null ? null : initial.contentHash();
    if (initial == null) {
      reloaded = null;
      refused = null;
      return;
    }
    Gauge.builder("aegis.tls.certificate.expiry", this, r -> r.current.notAfter().getEpochSecond())
        .description("Not-after of the TLS certificate this node serves, Unix seconds")
        .baseUnit("seconds")
        .register(meters);
    reloaded = Counter.builder("aegis.tls.reloads").tag("outcome", "ok")
        .description("TLS certificate reloads, by outcome").register(meters);
    refused = Counter.builder("aegis.tls.reloads").tag("outcome", "failed")
        .description("TLS certificate reloads, by outcome").register(meters);
  }

  /**
   * Applies the transport security {@code config} asks for to {@code options} and returns the
   * reloader to {@link #watch} the listener with once it listens.
   *
   * @throws IllegalStateException if the TLS files cannot be used (the node does not start)
   */
  public static TlsReloader configure(Vertx vertx, Config config, MeterRegistry meters, HttpServerOptions options) {
    if (config.tls().isEmpty()) {
      if (config.allowInsecure()) {
        log.warn("*** AEGIS_ALLOW_INSECURE=true: serving plain HTTP and ws:// on {}:{} WITHOUT TLS. Operator and "
            + "session tokens cross the network in clear, and nothing authenticates this server to HTTP clients. "
            + "Agent traffic is still end-to-end encrypted by the Aegis handshake. For development only: set "
            + "TLS_CERT_PATH and TLS_KEY_PATH in production. ***", config.bindAddress(), config.port());
      } else {
        log.info("no TLS_CERT_PATH/TLS_KEY_PATH: serving plain HTTP on loopback ({}) only", config.bindAddress());
      }
      return new TlsReloader(vertx, null, null, null, meters);
    }
    Config.TlsFiles files = config.tls().get();
    TlsCredentials credentials;
    try {
      credentials = TlsCredentials.read(files.certificate(), files.privateKey());
    } catch (TlsCredentials.InvalidTlsFiles e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    if (credentials.notAfter().isBefore(Instant.now())) {
      log.error("the TLS certificate has expired ({}); clients will refuse it until TLS_CERT_PATH is replaced",
          credentials);
    }
    warnIfReadableByOthers(files.privateKey());
    options.setSsl(true)
        .setKeyCertOptions(credentials.keyCertOptions())
        .setEnabledSecureTransportProtocols(PROTOCOLS);
    log.info("TLS on: serving HTTPS and WSS only with {}; checking {} and {} for changes every {}", credentials,
        files.certificate(), files.privateKey(), Durations.format(config.tlsReloadInterval()));
    return new TlsReloader(vertx, files, config.tlsReloadInterval(), credentials, meters);
  }

  private static void warnIfReadableByOthers(Path key) {
    try {
      var perms = Files.getPosixFilePermissions(key);
      if (perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
        log.warn("TLS_KEY_PATH {} is readable by every user on this host; restrict it (chmod 600 or 640)", key);
      }
    } catch (UnsupportedOperationException | java.io.IOException ignored) {
      // not a POSIX file system: nothing to check
    }
  }

  /** Starts polling the files for {@code servers} (the node's listeners; no-op without TLS). */
  public void watch(List<HttpServer> servers) {
    if (current == null) {
      return;
    }
    this.servers = List.copyOf(servers);
    timer = vertx.setPeriodic(interval.toMillis(), id -> poll());
  }

  /**
   * Checks the files once: if their content changed since the last check, loads and swaps in
   * the new pair. The future says whether the serving certificate changed. Overlapping calls
   * return {@code false} at once.
   */
  public Future<Boolean> poll() {
    if (current == null || servers.isEmpty() || !polling.compareAndSet(false, true)) {
      return Future.succeededFuture(false);
    }
    return vertx.<TlsCredentials>executeBlocking(this::readIfChanged, false)
        .compose(next -> next == null ? Future.succeededFuture(false) : swapIn(next))
        .onComplete(ar -> polling.set(false));
  }

  /** The new pair if the files changed and check out; null if unchanged or refused (logged). */
  private TlsCredentials readIfChanged() {
    byte[] cert;
    byte[] key;
    try {
      cert = Files.readAllBytes(files.certificate());
      key = Files.readAllBytes(files.privateKey());
    } catch (java.io.IOException e) {
      // Mid-replacement (a file briefly missing) or gone: say so once per state, keep serving.
      String hash = "unreadable:" + e.getMessage();
      if (!hash.equals(lastSeenHash)) {
        lastSeenHash = hash;
        log.error("cannot read the TLS files ({}); keeping the current certificate ({})", e.toString(), current);
        refused.increment();
      }
      return null;
    }
    String hash = TlsCredentials.contentHash(cert, key);
    if (hash.equals(lastSeenHash)) {
      return null;
    }
    lastSeenHash = hash; // tried once per content: a bad pair is reported once, retried when a file changes again
    try {
      TlsCredentials next = TlsCredentials.parse(cert, key, files.certificate(), files.privateKey());
      if (next.notAfter().isBefore(Instant.now())) {
        throw new TlsCredentials.InvalidTlsFiles("TLS_CERT_PATH " + files.certificate() + ": the certificate expired ("
            + next + ")");
      }
      return next;
    } catch (TlsCredentials.InvalidTlsFiles e) {
      log.error("TLS files changed but cannot be used: {}; keeping the current certificate ({})", e.getMessage(), current);
      refused.increment();
      return null;
    }
  }

  private Future<Boolean> swapIn(TlsCredentials next) {
    ServerSSLOptions ssl = new ServerSSLOptions()
        .setKeyCertOptions(next.keyCertOptions())
        .setEnabledSecureTransportProtocols(PROTOCOLS);
    // Every listener of the node (one per event loop) takes the new certificate.
    return Future.all(servers.stream().map(s -> s.updateSSLOptions(ssl)).toList()).transform(ar -> {
      if (ar.failed()) {
        log.error("TLS files changed but the TLS stack refused them: {}; keeping the current certificate ({})",
            ar.cause().toString(), current);
        refused.increment();
        return Future.succeededFuture(false);
      }
      TlsCredentials previous = current;
      current = next;
      reloaded.increment();
      log.info("TLS certificate reloaded: now serving {} (was serial {}); established connections keep theirs",
          next, previous.leaf().getSerialNumber().toString(16));
      return Future.succeededFuture(true);
    });
  }

  @Override
  public void close() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
  }
}
