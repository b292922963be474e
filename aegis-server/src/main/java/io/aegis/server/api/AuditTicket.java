package io.aegis.server.api;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The audit entry an operator's state-changing request owes ({@link Auditor}). The router writes
 * it once the endpoint has answered, in a group commit of its own, unless the endpoint wrote it
 * in its own transaction ({@link #recordIn}) because it knew its answer before committing (a
 * send answers 202 and its message id): then one commit makes the request's writes and their
 * entry durable together, and the answer waits for one commit instead of two.
 */
public final class AuditTicket {
  private final Auditor auditor;
  private final Caller.Operator operator;
  private final String address;
  private final String action;
  private final String resource;
  private final byte[] body;
  // The status the endpoint recorded (0: none), set inside its transaction: the router trusts it
  // only for an endpoint that succeeded, whose last run of that transaction committed.
  private volatile int recordedStatus;

  AuditTicket(Auditor auditor, Caller.Operator operator, String address, String action, String resource, byte[] body) {
    this.auditor = auditor;
    this.operator = operator;
    this.address = address;
    this.action = action;
    this.resource = resource;
    this.body = body;
  }

  /**
   * Writes the entry in the transaction of {@code c} (a write of the node's store writer): the
   * request will be answered {@code status}, naming {@code messageIds}.
   */
  public void recordIn(Connection c, int status, List<String> messageIds) throws SQLException {
    auditor.recordIn(c, action(status, "", null), messageIds);
    recordedStatus = status;
  }

  /** Whether the endpoint recorded the entry for an answer of {@code status} already. */
  boolean recordedAs(int status) {
    return recordedStatus == status;
  }

  Auditor.Action action(int status, String errorCode, byte[] answer) {
    return new Auditor.Action(operator, address, action, resource, status, errorCode, body, answer);
  }
}
