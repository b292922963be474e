package io.aegis.bench.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated agents' keys, cached in a file under the bench work directory so that a re-run
 * against the same gateway can skip registration ({@code --reuse}).
 *
 * <p>One file per gateway and agent-id prefix, {@code keys-<prefix>-<gateway>.txt}, mode 0600,
 * one agent per line: {@code <agent_id> <seed base64> <public key base64>}. The file also
 * records which agents the gateway has accepted ({@code registered} lines), so {@code --reuse}
 * skips exactly those. These are throw-away benchmark keys; do not use the file for real agents.
 *
 * <p>Not thread-safe: load, extend and save from one thread.
 */
public final class KeyCache {
  private final Path file;
  private final Map<String, AgentIdentity> byId = new HashMap<>();
  private final java.util.Set<String> registered = new java.util.HashSet<>();

  private KeyCache(Path file) {
    this.file = file;
  }

  /** The cache file for this gateway and prefix under {@code workDir}; loaded if it exists. */
  public static KeyCache open(Path workDir, String gateway, String prefix) {
    String slug = gateway.replaceAll("^[a-z]+://", "").replaceAll("[^A-Za-z0-9.]+", "_");
    KeyCache c = new KeyCache(workDir.resolve("keys-" + prefix + "-" + slug + ".txt"));
    if (Files.exists(c.file)) {
      c.load();
    }
    return c;
  }

  public Path file() {
    return file;
  }

  private void load() {
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
        String[] p = line.trim().split(" ");
        if (p.length >= 2 && p[0].equals("registered")) {
          registered.add(p[1]);
        } else if (p.length == 3 && !line.startsWith("#")) {
          byId.put(p[0], AgentIdentity.fromSeed(p[0], Base64.getDecoder().decode(p[1])));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the key cache " + file, e);
    }
  }

  /** The identities of agents 1..n under {@code prefix}: cached ones, and new ones generated. */
  public List<AgentIdentity> identities(String prefix, int n, SecureRandom random) {
    List<AgentIdentity> out = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      String id = AgentIdentity.agentId(prefix, i);
      out.add(byId.computeIfAbsent(id, k -> AgentIdentity.generate(k, random)));
    }
    return out;
  }

  /** True if a previous run saw the gateway accept this agent's registration. */
  public boolean isRegistered(String agentId) {
    return registered.contains(agentId);
  }

  public void markRegistered(String agentId) {
    registered.add(agentId);
  }

  /** Forgets one registration (the agent was deleted). */
  public void forgetRegistration(String agentId) {
    registered.remove(agentId);
  }

  /** Forgets every registration (the gateway was reset). */
  public void forgetRegistrations() {
    registered.clear();
  }

  /** Writes the file atomically, owner-only. */
  public void save() {
    StringBuilder sb = new StringBuilder("# aegis bench agent keys (benchmark use only): agent_id seed public_key\n");
    byId.values().stream().sorted(java.util.Comparator.comparing(AgentIdentity::agentId)).forEach(a ->
        sb.append(a.agentId()).append(' ').append(a.seedBase64()).append(' ').append(a.publicKeyBase64()).append('\n'));
    registered.stream().sorted().forEach(id -> sb.append("registered ").append(id).append('\n'));
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, sb, StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the key cache " + file, e);
    }
  }
}
