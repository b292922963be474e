package io.aegis.server.polling;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.http.GatewayAnswer;
import io.aegis.protocol.http.HttpSession;
import io.aegis.protocol.http.ReceivedPost;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.server.api.ApiException;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.AgentSignaturePolicy;
import io.aegis.server.auth.UsedNonces;
import io.aegis.server.registry.AgentRegistry;
import io.aegis.server.routing.AgentOrigin;
import io.aegis.server.routing.AgentReply;
import io.aegis.server.routing.MessageRouter;
import io.aegis.server.store.WriteBatcher;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent's sealed records over HTTP ({@code POST /api/v1/agents/{id}/messages}), processed exactly
 * as the same records in a session: opened all or nothing, the agent-signature policy applied,
 * the post's nonce refused if the session used it before (replay), then each record handed in
 * order to {@link MessageRouter#handle}; the acks, responses and errors come back sealed in the
 * answer. Thread-safe.
 */
final class PostService {
  private static final Logger log = LoggerFactory.getLogger(PostService.class);

  private final MessageRouter router;
  private final AgentSignaturePolicy policy;
  private final UsedNonces nonces;
  private final AgentRegistry registry;
  private final WriteBatcher batcher;
  private final SecureRandom random = new SecureRandom();

  PostService(MessageRouter router, AgentSignaturePolicy policy, UsedNonces nonces, AgentRegistry registry,
              WriteBatcher batcher) {
    this.batcher = batcher;
    this.router = router;
    this.policy = policy;
    this.nonces = nonces;
    this.registry = registry;
  }

  /**
   * Opens and checks a post (blocking: a store read), commits its nonce, then processes its
   * records; completes with the answer body.
   *
   * @throws ApiException 400 {@code invalid_records} or {@code bad_signature}, 413; the future
   *     fails with 409 {@code nonce_reused}. In each case nothing was processed
   */
  CompletableFuture<byte[]> post(HttpSessions.Opened opened, byte[] body) {
    HttpSession session = opened.keys();
    String agentId = opened.agentId();
    ReceivedPost post;
    try {
      post = session.openPost(body);
    } catch (RecordException e) {
      log.info("agent_id={} post refused: {} ({})", agentId, e.reason(), e.getMessage());
      if (e.reason() == RecordException.Reason.TOO_LARGE) {
        throw ApiException.tooLarge("a post carries at most 1000 records, each within AEGIS_MAX_FRAME_SIZE: "
            + e.getMessage());
      }
      throw ApiException.badRequest("invalid_records", "the records do not open: " + e.getMessage());
    }
    if (post.records().isEmpty()) {
      throw ApiException.badRequest("invalid_records", "a post carries 1 to 1000 records");
    }
    // Deactivated (or deleted) since its token was looked at: as the token's own answer would say.
    IdentityPublicKey key = registry.activePublicKey(agentId).map(IdentityPublicKey::parseBase64)
        .orElseThrow(() -> AgentSessions.TokenState.REVOKED.refusal());
    List<AgentSignaturePolicy.Verdict> verdicts = new ArrayList<>();
    for (OpenedRecord r : post.records()) {
      AgentSignaturePolicy.Verdict v = policy.check(r, key);
      if (v == AgentSignaturePolicy.Verdict.BAD_SIGNATURE) {
        log.info("agent_id={} post refused: record {} has a bad agent signature", agentId, r.id());
        throw ApiException.badRequest("bad_signature", "record '" + r.id() + "' carries an agent signature that does "
            + "not verify; nothing in this post was processed");
      }
      verdicts.add(v);
    }
    String nonceKey = UsedNonces.POST_PREFIX + StrictBase64.encode(post.nonce());
    // The nonce is committed (group commit) before any record is processed: a replay is refused even
    // if this node stops half-way through the records.
    CompletableFuture<List<AgentReply>> replies = batcher.submit(c -> nonces.remember(c, agentId, nonceKey,
        opened.expiresAt())).thenApply(fresh -> {
          if (!fresh) {
            throw ApiException.conflict("nonce_reused", "this session already used the post's nonce; seal the "
                + "records anew under a fresh nonce to send them again");
          }
          return new ArrayList<>();
        });
    AgentOrigin origin = router.detachedOrigin(agentId);
    for (int i = 0; i < post.records().size(); i++) {
      OpenedRecord r = post.records().get(i);
      boolean unsigned = verdicts.get(i) == AgentSignaturePolicy.Verdict.UNSIGNED;
      // In order, one at a time: a subscription takes effect before the record after it.
      replies = replies.thenCompose(list -> (unsigned
          ? CompletableFuture.completedFuture(Optional.of(AgentReply.error(r.id(),
              AgentSignaturePolicy.SIGNATURE_REQUIRED, AgentSignaturePolicy.SIGNATURE_REQUIRED_MESSAGE)))
          : router.handle(origin, r)).thenApply(reply -> {
            reply.ifPresent(list::add);
            return list;
          }));
    }
    byte[] nonce = post.nonce();
    return replies.thenApply(list -> answer(session, nonce, list));
  }

  private byte[] answer(HttpSession session, byte[] nonce, List<AgentReply> replies) {
    GatewayAnswer answer = session.newAnswer(nonce, random);
    for (AgentReply a : replies) {
      try {
        answer.seal(a.id(), a.type(), a.channel(), a.headers(), a.body());
      } catch (RecordException e) {
        throw new IllegalStateException("cannot seal an answer record: " + e.getMessage(), e);
      }
    }
    return answer.body().getBytes(StandardCharsets.UTF_8);
  }
}
