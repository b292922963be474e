package io.aegis.cli;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/aegis keygen --out FILE}: a new Ed25519 identity key pair for an agent (or a
 * backend). The private key goes to FILE (PKCS#8 PEM, mode 0600, created that way so it is never
 * readable by others), the public key to FILE.pub (SPKI PEM); the public key is printed as base64
 * of its raw 32 bytes, the form {@code POST /api/v1/agents} expects in {@code public_key}.
 */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {
        "Generate an Ed25519 identity key pair.",
        "Writes the private key to FILE (PKCS#8 PEM, mode 0600) and the public key to FILE.pub (SPKI PEM),",
        "then prints the public key as registration expects it (base64 of the raw 32 bytes) and its key id."})
final class KeygenCommand implements Callable<Integer> {

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the private key.")
  Path out;

  @Option(names = "--force", description = "Replace existing key files (the old key is lost).")
  boolean force;

  @Override
  public Integer call() {
    return generate(out, force, System.out, System.err);
  }

  static int generate(Path out, boolean force, PrintStream stdout, PrintStream stderr) {
    Path pub = out.resolveSibling(out.getFileName() + ".pub");
    for (Path p : new Path[] {out, pub}) {
      if (Files.exists(p) && !force) {
        stderr.println("aegis: " + p + " exists; refusing to overwrite it (use --force to replace the key)");
        return 1;
      }
    }
    IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
    try {
      Path dir = out.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      KeyFiles.writePrivateKey(out, key, force);
      KeyFiles.writePublicKey(pub, key.publicKey(), force);
    } catch (IOException e) {
      stderr.println("aegis: cannot write the key: " + e.getMessage());
      return 1;
    } finally {
      key.destroy();
    }
    IdentityPublicKey p = key.publicKey();
    stdout.println("private key  " + out + "  (PKCS#8 PEM, mode 0600: keep it secret)");
    stdout.println("public key   " + pub);
    stdout.println("public_key   " + p.base64());
    stdout.println("key_id       " + p.keyIdHex());
    stdout.println();
    stdout.println("Register the agent with the public_key above, for example:");
    stdout.println("  curl -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\");
    stdout.println("       -d '{\"agent_id\":\"<id>\",\"public_key\":\"" + p.base64() + "\"}' \\");
    stdout.println("       https://<gateway>/api/v1/agents");
    return 0;
  }
}
