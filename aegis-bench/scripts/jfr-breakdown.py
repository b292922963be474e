#!/usr/bin/env python3
"""Where a gateway's Java code spends its time, from a JFR recording, by component.

Usage:
  jfr print --stack-depth 64 --events jdk.ExecutionSample gw.jfr > samples.txt
  python3 aegis-bench/scripts/jfr-breakdown.py samples.txt [FROM [TO]]

FROM and TO (HH:MM:SS, the recording's clock) keep the samples of a scenario's measured window.
Each sample counts once, for the first rule in RULES that one of its frames matches, so a
signature computed inside a Netty callback counts as signing. Execution samples cover threads
running Java code only: kernel time, native socket I/O, GC and the JIT are not in them.
"""
import collections
import re
import sys

RULES = [
    ("Ed25519 sign", "Ed25519.sign"),
    ("Ed25519 verify", "Ed25519.verify"),
    ("X25519 (handshake key agreement)", "X25519."),
    ("SQLite JDBC", "org.sqlite"),
    ("PostgreSQL JDBC", "org.postgresql"),
    ("Jackson (JSON)", "com.fasterxml.jackson"),
    ("ChaCha20-Poly1305", "ChaCha20"),
    ("SHA-2 / HMAC / HKDF", "Digest"),
    ("SHA-2 / HMAC / HKDF", "javax.crypto.Mac"),
    ("Vert.x Web (route matching, handlers)", "io.vertx.ext.web"),
    ("HikariCP", "com.zaxxer"),
    ("Micrometer", "io.micrometer"),
    ("Logback", "ch.qos.logback"),
    ("Netty / Vert.x I/O", "io.netty"),
    ("Netty / Vert.x I/O", "io.vertx.core"),
]


def main(path, start="", end="99"):
    samples = open(path).read().split("jdk.ExecutionSample {")[1:]
    by_rule, by_thread, by_frame = collections.Counter(), collections.Counter(), collections.Counter()
    n = 0
    for s in samples:
        t = re.search(r"startTime = (\S+)", s).group(1)
        if not start <= t < end:
            continue
        n += 1
        frames = re.findall(r"^\s+([\w.$<>]+)\(", s, re.M)
        thread = re.search(r'sampledThread = "([^"]+)"', s)
        by_thread[re.sub(r"\d+", "N", thread.group(1)) if thread else "?"] += 1
        by_rule[next((name for name, key in RULES if any(key in f for f in frames)), "other")] += 1
        ours = next((f for f in frames if f.startswith("io.aegis")), None)
        if ours:
            by_frame[ours] += 1
    if n == 0:
        sys.exit("no samples in that window")
    print(f"{n} samples")
    for title, counts, most in (("component", by_rule, 20), ("thread", by_thread, 8), ("innermost io.aegis frame", by_frame, 15)):
        print(f"\nby {title}:")
        for k, v in counts.most_common(most):
            print(f"  {100 * v / n:5.1f}%  {k}")


if __name__ == "__main__":
    main(*sys.argv[1:])
