package io.aegis.server.auth;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.record.AgentMessageVerifier;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.server.config.Config;

/**
 * The agent-signature policy ({@code AEGIS_AGENT_SIGNATURES}) for agent→backend data records
 * ({@code event}, {@code request}, {@code response}), the same for every transport: a signature
 * that is present must verify against the agent's registered key; an unsigned data record is
 * refused when signatures are required. Control records ({@code ack}, {@code subscribe}, …) are
 * never checked. Stateless and thread-safe.
 */
public final class AgentSignaturePolicy {

  /** What the policy says about one record. */
  public enum Verdict {
    /** Process it. */
    ACCEPT,
    /** Answer it with an {@code error} record ({@code signature_required}); do not process it. */
    UNSIGNED,
    /**
     * It decrypted under the session's keys but its signature does not verify: the sender is broken
     * or hostile. A session closes; an HTTP post is refused whole.
     */
    BAD_SIGNATURE
  }

  /** Error code of the answer to an unsigned record under {@link Config.AgentSignatures#REQUIRED}. */
  public static final String SIGNATURE_REQUIRED = "signature_required";
  /** Message of that answer. */
  public static final String SIGNATURE_REQUIRED_MESSAGE = "this gateway requires agent messages to be signed";

  private final Config.AgentSignatures mode;

  public AgentSignaturePolicy(Config.AgentSignatures mode) {
    this.mode = mode;
  }

  /** Checks {@code record} from the agent whose registered key is {@code registeredKey}. */
  public Verdict check(OpenedRecord record, IdentityPublicKey registeredKey) {
    String type = record.type();
    boolean data = type.equals(MessageTypes.EVENT) || type.equals(MessageTypes.REQUEST)
        || type.equals(MessageTypes.RESPONSE);
    if (!data || mode == Config.AgentSignatures.OFF) {
      return Verdict.ACCEPT;
    }
    if (record.isSigned()) {
      VerificationResult result = AgentMessageVerifier.verify(record, registeredKey);
      return result.accepted() ? Verdict.ACCEPT : Verdict.BAD_SIGNATURE;
    }
    return mode == Config.AgentSignatures.REQUIRED ? Verdict.UNSIGNED : Verdict.ACCEPT;
  }
}
