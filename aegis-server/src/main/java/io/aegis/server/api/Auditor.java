package io.aegis.server.api;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where the router reports every state-changing request an operator token made, whatever its
 * outcome; the answer is sent once the report is durable (see {@code audit.AuditLog}).
 */
public interface Auditor {

  /**
   * What one operator request did.
   *
   * @param action the method and route template ({@code POST /api/v1/agents/{agent_id}/send})
   * @param resource the path as requested ({@code /api/v1/agents/a1/send})
   * @param status the answer's HTTP status
   * @param errorCode the answer's error code, or "" for a success
   * @param body the request body as received
   * @param answer the answer's JSON (a success's), or null
   */
  record Action(Caller.Operator operator, String address, String action, String resource, int status,
                String errorCode, byte[] body, byte[] answer) {}

  /** Records {@code action}; the stage completes once it is durable (or recording failed, which the auditor reports). */
  CompletionStage<Void> record(Action action);

  /**
   * Records {@code action}, which names {@code messageIds}, in the transaction of {@code c}, a
   * write the node's store writer is running: it is durable when that transaction commits.
   */
  void recordIn(Connection c, Action action, List<String> messageIds) throws SQLException;

  Auditor NONE = new Auditor() {
    @Override
    public CompletionStage<Void> record(Action action) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void recordIn(Connection c, Action action, List<String> messageIds) {
    }
  };
}
