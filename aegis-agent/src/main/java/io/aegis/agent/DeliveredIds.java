package io.aegis.agent;

import io.aegis.protocol.Identifiers;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The ids of backend messages this agent has handed to its handlers: the record that makes
 * delivery exactly-once for agent code when the gateway redelivers (at-least-once).
 *
 * <p>Two steps per message:
 * <ol>
 * <li>{@link #accept(String)} when the message is queued for its handler (I/O thread): false
 *     means a duplicate, to be acknowledged without calling the handler;</li>
 * <li>{@link #persist(String)} just before the handler runs (handler thread): with a file, the
 *     id is appended and forced to disk first, so an agent that restarts does not run the same
 *     command again. A crash between the two steps loses nothing: the id was not persisted, the
 *     gateway redelivers, and the handler runs then (at most once per handler start).</li>
 * </ol>
 *
 * <p><b>Bounds.</b> At most {@code capacity} ids are remembered, the oldest forgotten first. The
 * file is append-only, one id per line; when it holds more than {@code 2 × capacity} lines it is
 * rewritten (to a temporary file, forced, moved atomically) with the newest {@code capacity}
 * persisted ids. On open, a torn or invalid line (a crash mid-write) is skipped.
 *
 * <p>Thread-safe.
 */
final class DeliveredIds implements Closeable {

  private final int capacity;
  private final Path file;
  private final LinkedHashSet<String> accepted = new LinkedHashSet<>();
  private final ArrayDeque<String> persisted = new ArrayDeque<>();
  private FileChannel out;
  private long linesInFile;

  private DeliveredIds(int capacity, Path file) {
    if (capacity < 1) {
      throw new IllegalArgumentException("dedupCapacity must be at least 1, was " + capacity);
    }
    this.capacity = capacity;
    this.file = file;
  }

  /** A record kept in memory only: a restarted agent forgets it. */
  static DeliveredIds inMemory(int capacity) {
    return new DeliveredIds(capacity, null);
  }

  /** A record persisted to {@code file} (created if missing), loaded now. */
  static DeliveredIds open(Path file, int capacity) throws IOException {
    DeliveredIds d = new DeliveredIds(capacity, file.toAbsolutePath());
    d.load();
    return d;
  }

  private void load() throws IOException {
    if (Files.exists(file)) {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      linesInFile = lines.size();
      for (String line : lines) {
        if (Identifiers.messageIdError(line) == null) {
          remember(line);
          rememberPersisted(line);
        }
      }
    } else if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    if (out.size() > 0 && !endsWithNewline()) {
      // A torn last line: start the next id on a line of its own.
      out.write(ByteBuffer.wrap(new byte[] {'\n'}));
    }
  }

  private boolean endsWithNewline() throws IOException {
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer last = ByteBuffer.allocate(1);
      in.read(last, in.size() - 1);
      return last.get(0) == '\n';
    }
  }

  /**
   * Records that {@code id} is being delivered.
   *
   * @return false if it was delivered (or accepted) before: a duplicate
   */
  synchronized boolean accept(String id) {
    if (accepted.contains(id)) {
      return false;
    }
    remember(id);
    return true;
  }

  /** True if {@code id} was accepted before (and not yet forgotten). */
  synchronized boolean contains(String id) {
    return accepted.contains(id);
  }

  /**
   * Makes the record of {@code id} durable (a no-op in memory). Call before running the handler.
   *
   * @throws IOException if the file cannot be written; the id stays remembered in memory
   */
  synchronized void persist(String id) throws IOException {
    remember(id);
    if (out == null) {
      return;
    }
    out.write(ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII)));
    out.force(false);
    linesInFile++;
    rememberPersisted(id);
    if (linesInFile > 2L * capacity) {
      compact();
    }
  }

  private void remember(String id) {
    accepted.remove(id);
    accepted.add(id);
    if (accepted.size() > capacity) {
      Iterator<String> oldest = accepted.iterator();
      oldest.next();
      oldest.remove();
    }
  }

  private void rememberPersisted(String id) {
    persisted.addLast(id);
    if (persisted.size() > capacity) {
      persisted.removeFirst();
    }
  }

  private void compact() throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    StringBuilder sb = new StringBuilder(persisted.size() * 40);
    persisted.forEach(id -> sb.append(id).append('\n'));
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      c.write(ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.US_ASCII)));
      c.force(true);
    }
    out.close();
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    linesInFile = persisted.size();
  }

  /** Number of ids remembered in memory. */
  synchronized int size() {
    return accepted.size();
  }

  /** Lines currently in the file (0 in memory); for tests of compaction. */
  synchronized long linesInFile() {
    return linesInFile;
  }

  @Override
  public synchronized void close() throws IOException {
    if (out != null) {
      out.close();
      out = null;
    }
  }
}
