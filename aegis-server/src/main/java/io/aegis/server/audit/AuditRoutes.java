package io.aegis.server.audit;

import io.aegis.server.api.Access;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.aegis.server.api.Scope;
import io.aegis.server.store.Database;
import io.vertx.core.http.HttpMethod;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /api/v1/audit} (entries, newest first, filtered and paged) and
 * {@code GET /api/v1/audit/checkpoints} (the signed heads), {@code admin} scope: everything a
 * verifier outside the gateway needs to check the chain as {@link AuditVerifier} does.
 */
public final class AuditRoutes {

  record EntryView(long seq, Instant at, String nodeId, String tokenId, String tokenName, String address,
                   String action, String resource, int status, String errorCode, List<String> messageIds,
                   String bodyDigest, String prevHash, String hash) {
    static EntryView of(AuditEntry e) {
      return new EntryView(e.seq(), Instant.ofEpochMilli(e.atMillis()), e.nodeId(), e.tokenId(), e.tokenName(),
          e.address(), e.action(), e.resource(), e.status(), e.errorCode(),
          e.messageIds().isEmpty() ? List.of() : Arrays.asList(e.messageIds().split(",")), e.bodyDigest(),
          e.prevHash(), e.hash());
    }
  }

  record EntryList(List<EntryView> entries, String nextCursor) {}

  record Checkpoint(long seq, String hash, String keyId, String signature, Instant signedAt) {}

  record CheckpointList(List<Checkpoint> checkpoints) {}

  private final AuditLog log;
  private final Database db;

  public AuditRoutes(AuditLog log, Database db) {
    this.log = log;
    this.db = db;
  }

  public void mount(ApiRouter api) {
    api.route(HttpMethod.GET, "/api/v1/audit", Access.operator(Scope.ADMIN), this::list);
    api.route(HttpMethod.GET, "/api/v1/audit/checkpoints", Access.operator(Scope.ADMIN), r -> Reply.ok(checkpoints()));
  }

  private Reply list(ApiRequest r) {
    int limit = Paging.limit(r);
    Optional<Long> before = Paging.cursor(r, 1).map(p -> Paging.number(p.get(0)));
    Optional<String> action = r.query("action");
    if (action.isPresent() && (action.get().length() > 160 || !action.get().matches("[A-Z]+ /[A-Za-z0-9/{}_.-]*"))) {
      throw ApiException.invalid("action must be a method and a route, such as 'POST /api/v1/agents/{agent_id}/send'");
    }
    Optional<String> tokenId = r.query("token_id");
    if (tokenId.isPresent() && (tokenId.get().length() > 128 || !tokenId.get().matches("[A-Za-z0-9:_.-]+"))) {
      throw ApiException.invalid("token_id must be a token's id, as GET /api/v1/operator-tokens lists them");
    }
    Optional<String> messageId = r.query("message_id");
    if (messageId.isPresent() && io.aegis.protocol.Identifiers.messageIdError(messageId.get()) != null) {
      throw ApiException.invalid("message_id: " + io.aegis.protocol.Identifiers.messageIdError(messageId.get()));
    }
    List<AuditEntry> rows = log.list(new AuditLog.Query(tokenId, action, messageId,
        r.queryInstant("since").map(Instant::toEpochMilli), r.queryInstant("until").map(Instant::toEpochMilli),
        before, limit));
    boolean more = rows.size() > limit;
    List<AuditEntry> page = more ? rows.subList(0, limit) : rows;
    return Reply.ok(new EntryList(page.stream().map(EntryView::of).toList(),
        more ? Paging.encode(page.get(page.size() - 1).seq()) : null));
  }

  private CheckpointList checkpoints() {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT seq, hash, key_id, signature, signed_ms FROM audit_checkpoints ORDER BY seq DESC LIMIT 1000");
           ResultSet rs = ps.executeQuery()) {
        List<Checkpoint> out = new ArrayList<>();
        while (rs.next()) {
          out.add(new Checkpoint(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
              Instant.ofEpochMilli(rs.getLong(5))));
        }
        return new CheckpointList(out);
      }
    });
  }
}
