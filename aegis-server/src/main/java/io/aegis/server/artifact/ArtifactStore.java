package io.aegis.server.artifact;

import io.aegis.server.api.ApiException;
import io.aegis.server.api.ETags;
import io.aegis.server.store.Database;
import io.aegis.server.store.JsonColumns;
import io.aegis.server.store.WriteBatcher;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Published artifacts and each agent's feed of them, ordered by {@code seq}.
 *
 * <p>Publication takes the lock of the single {@code artifact_feed} row before it allocates a seq,
 * so artifacts commit in seq order: an agent whose cursor is N never misses an artifact with a
 * smaller seq that committed after it polled. Publications are rare, so serializing them costs
 * nothing that matters.
 *
 * <p>Thread-safe. Methods other than {@link #publish} block on the store: call them from a worker
 * thread.
 */
public final class ArtifactStore {
  private static final Logger log = LoggerFactory.getLogger(ArtifactStore.class);
  private static final String COLUMNS =
      "a.seq, a.id, a.name, a.version, a.sha256, a.size, a.download_url, a.target_all, a.metadata, a.created_at";

  private final Database db;
  private final WriteBatcher batcher;
  private final Duration deadline;
  private final List<Consumer<Artifact>> listeners = new CopyOnWriteArrayList<>();

  /**
   * @param batcher  the node's group commit, which publications go through
   * @param deadline how long a publication may wait for the store ({@code AEGIS_REQUEST_DEADLINE})
   */
  public ArtifactStore(Database db, WriteBatcher batcher, Duration deadline) {
    this.db = db;
    this.batcher = batcher;
    this.deadline = deadline;
  }

  /**
   * Registers {@code listener} for every publication, called after it committed, on the
   * publishing thread, with the artifact and its target. Exceptions are logged and ignored.
   */
  public void onPublish(Consumer<Artifact> listener) {
    listeners.add(listener);
  }

  /**
   * Publishes {@code a} in the node's group commit (one commit, and the writer's prepared
   * statements, shared with the writes pending beside it); completes after the commit, once the
   * listeners have heard of it, or fails with 409 {@code already_exists} if its name and version
   * are taken.
   */
  public CompletableFuture<Artifact> publish(NewArtifact a) {
    String id = UUID.randomUUID().toString();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return batcher.submit(c -> {
      // Checked first, so that a refusal writes nothing and fails nothing: an exception would
      // roll back the whole group commit and run its writes again one by one.
      if (exists(c, a.name(), a.version())) {
        return -1L;
      }
      bumpRevision(c);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO artifacts (id, name, version, sha256, size, content, "
          + "download_url, target_all, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, id);
        ps.setString(2, a.name());
        ps.setString(3, a.version());
        ps.setString(4, a.sha256());
        ps.setLong(5, a.size());
        if (a.content() == null) {
          ps.setNull(6, Types.VARBINARY);
        } else {
          ps.setBytes(6, a.content());
        }
        ps.setString(7, a.downloadUrl());
        ps.setBoolean(8, a.target().targetsEveryone());
        ps.setString(9, JsonColumns.write(a.metadata()));
        db.dialect().setInstant(ps, 10, now);
        ps.executeUpdate();
      } catch (SQLException e) {
        if (db.dialect().isUniqueViolation(e)) {
          throw alreadyExists(a); // another node's publication of the same version, a moment ago
        }
        throw e;
      }
      long s = seqOf(c, id);
      insertTargets(c, s, a.target());
      return s;
    }, System.nanoTime() + deadline.toNanos()).thenApply(seq -> {
      if (seq < 0) {
        throw alreadyExists(a);
      }
      Artifact published = new Artifact(id, Long.toString(seq), a.name(), a.version(), a.sha256(), a.size(),
          a.downloadUrl(), a.content() == null ? null : Artifact.contentPath(id), a.target(), a.metadata(), now);
      for (Consumer<Artifact> listener : listeners) {
        try {
          listener.accept(published);
        } catch (RuntimeException e) {
          log.warn("artifact publish listener failed on {}: {}", id, e.toString());
        }
      }
      return published;
    });
  }

  private static ApiException alreadyExists(NewArtifact a) {
    return ApiException.conflict("already_exists",
        "artifact '" + a.name() + "' version '" + a.version() + "' already exists; publish a new version");
  }

  private static boolean exists(Connection c, String name, String version) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM artifacts WHERE name = ? AND version = ?")) {
      ps.setString(1, name);
      ps.setString(2, version);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  // Takes the feed row's lock (held to commit) and records that the feed changed.
  private static void bumpRevision(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE artifact_feed SET revision = revision + 1 WHERE id = 1")) {
      ps.executeUpdate();
    }
  }

  private static long seqOf(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM artifacts WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static void insertTargets(Connection c, long seq, ArtifactTarget target) throws SQLException {
    if (target.targetsEveryone()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO artifact_targets (artifact_seq, target_type, target_value) VALUES (?, ?, ?)")) {
      if (target.agentIds() != null) {
        for (String agentId : target.agentIds()) {
          ps.setLong(1, seq);
          ps.setString(2, "agent");
          ps.setString(3, agentId);
          ps.addBatch();
        }
      } else {
        for (Map.Entry<String, String> label : target.labels().entrySet()) {
          ps.setLong(1, seq);
          ps.setString(2, "label");
          ps.setString(3, label.getKey() + "=" + label.getValue());
          ps.addBatch();
        }
      }
      ps.executeBatch();
    }
  }

  public Optional<Artifact> get(String id) {
    List<Artifact> found = db.read(c -> select(c, "SELECT " + COLUMNS + " FROM artifacts a WHERE a.id = ?",
        ps -> ps.setString(1, id)));
    return found.stream().findFirst();
  }

  /** Artifacts with seq above {@code afterSeq}, in publication order. */
  public List<Artifact> list(long afterSeq, int limit) {
    return db.read(c -> select(c, "SELECT " + COLUMNS + " FROM artifacts a WHERE a.seq > ? ORDER BY a.seq LIMIT ?",
        ps -> {
          ps.setLong(1, afterSeq);
          ps.setInt(2, limit);
        }));
  }

  /** Removes artifact {@code id} and its targets; false if there is none. */
  public boolean delete(String id) {
    return db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM artifacts WHERE id = ?")) {
        ps.setString(1, id);
        if (ps.executeUpdate() == 0) {
          return false;
        }
      }
      bumpRevision(c);
      return true;
    });
  }

  /**
   * The content of artifact {@code id}, for an operator ({@code forAgent} empty) or for an agent
   * it targets; empty when there is no such artifact or it is not for that agent.
   */
  public Optional<ArtifactContent> content(String id, Optional<String> forAgent) {
    return db.read(c -> {
      String sql = "SELECT a.sha256, a.content, a.download_url FROM artifacts a WHERE a.id = ?"
          + (forAgent.isPresent() ? " AND " + AgentTargeting.PREDICATE : "");
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, id);
        if (forAgent.isPresent()) {
          AgentTargeting.bind(ps, 2, forAgent.get());
        }
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next()
              ? Optional.of(new ArtifactContent(rs.getString(1), rs.getBytes(2), rs.getString(3)))
              : Optional.empty();
        }
      }
    });
  }

  /**
   * The state of {@code agentId}'s feed: two index lookups, no targeting. Empty if there is no
   * such agent.
   */
  /** The cursor of the newest artifact (0 if none): an index-only read. */
  public long newestSeq() {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM artifacts");
           ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  public Optional<FeedState> feedState(String agentId) {
    return db.read(c -> {
      Instant updatedAt;
      long revision;
      long maxSeq;
      try (PreparedStatement ps = c.prepareStatement("SELECT g.updated_at, f.revision, "
          + "(SELECT MAX(seq) FROM artifacts) AS max_seq FROM agents g, artifact_feed f WHERE g.agent_id = ?")) {
        ps.setString(1, agentId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          updatedAt = db.dialect().getInstant(rs, "updated_at");
          revision = rs.getLong("revision");
          maxSeq = rs.getLong("max_seq");
        }
      }
      List<Object> parts = new ArrayList<>(List.of(agentId, revision, maxSeq, String.valueOf(updatedAt)));
      try (PreparedStatement ps = c.prepareStatement("SELECT name, value FROM agent_labels WHERE agent_id = ? ORDER BY name")) {
        ps.setString(1, agentId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            parts.add(rs.getString(1));
            parts.add(rs.getString(2));
          }
        }
      }
      return Optional.of(new FeedState(maxSeq, ETags.digest(parts.toArray())));
    });
  }

  /**
   * The agents that carry every one of {@code labels} (the label-set rule of {@link AgentTargeting}),
   * in one read; none for an empty set.
   */
  public List<String> agentsLabelled(Map<String, String> labels) {
    if (labels.isEmpty()) {
      return List.of();
    }
    String any = String.join(" OR ", java.util.Collections.nCopies(labels.size(), "(name = ? AND value = ?)"));
    return db.read(c -> {
      // (agent_id, name) is the key, so an agent matches once per label: all of them is the count.
      try (PreparedStatement ps = c.prepareStatement("SELECT agent_id FROM agent_labels WHERE " + any
          + " GROUP BY agent_id HAVING COUNT(*) = ?")) {
        int i = 1;
        for (Map.Entry<String, String> l : labels.entrySet()) {
          ps.setString(i++, l.getKey());
          ps.setString(i++, l.getValue());
        }
        ps.setInt(i, labels.size());
        List<String> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
        return out;
      }
    });
  }

  /** The artifacts for {@code agentId} with seq above {@code since}, in publication order. */
  public List<AgentArtifact> feed(String agentId, long since, int limit) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT a.seq, a.id, a.name, a.version, a.sha256, a.size, "
          + "a.download_url, a.metadata, a.created_at FROM artifacts a WHERE a.seq > ? AND "
          + AgentTargeting.PREDICATE + " ORDER BY a.seq LIMIT ?")) {
        ps.setLong(1, since);
        int next = AgentTargeting.bind(ps, 2, agentId);
        ps.setInt(next, limit);
        try (ResultSet rs = ps.executeQuery()) {
          List<AgentArtifact> out = new ArrayList<>();
          while (rs.next()) {
            String id = rs.getString("id");
            String url = rs.getString("download_url");
            out.add(new AgentArtifact(id, Long.toString(rs.getLong("seq")), rs.getString("name"),
                rs.getString("version"), rs.getString("sha256"), rs.getLong("size"), url,
                url == null ? Artifact.contentPath(id) : null, JsonColumns.read(rs.getString("metadata")),
                db.dialect().getInstant(rs, "created_at")));
          }
          return out;
        }
      }
    });
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private List<Artifact> select(Connection c, String sql, Binder binder) throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new Row(rs.getLong("seq"), rs.getString("id"), rs.getString("name"), rs.getString("version"),
              rs.getString("sha256"), rs.getLong("size"), rs.getString("download_url"), rs.getBoolean("target_all"),
              rs.getString("metadata"), db.dialect().getInstant(rs, "created_at")));
        }
      }
    }
    if (rows.isEmpty()) {
      return List.of();
    }
    TargetLoader targets = TargetLoader.load(c, rows.get(0).seq, rows.get(rows.size() - 1).seq);
    return rows.stream().map(r -> new Artifact(r.id, Long.toString(r.seq), r.name, r.version, r.sha256, r.size,
        r.downloadUrl, r.downloadUrl == null ? Artifact.contentPath(r.id) : null,
        r.targetAll ? ArtifactTarget.everyone() : targets.of(r.seq), JsonColumns.read(r.metadata), r.createdAt)).toList();
  }

  private record Row(long seq, String id, String name, String version, String sha256, long size, String downloadUrl,
                     boolean targetAll, String metadata, Instant createdAt) {}
}
