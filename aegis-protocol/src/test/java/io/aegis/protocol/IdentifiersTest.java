package io.aegis.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdentifiersTest {

    @Test
    void agentIds() {
        assertThat(Identifiers.agentIdError("agent-1.eu:prod_x")).isNull();
        assertThat(Identifiers.agentIdError("a".repeat(255))).isNull();
        assertThat(Identifiers.agentIdError("a".repeat(256))).contains("1..255");
        assertThat(Identifiers.agentIdError("")).contains("1..255");
        assertThat(Identifiers.agentIdError("a b")).contains("index 1");
        assertThat(Identifiers.agentIdError("a/b")).isNotNull();
        assertThat(Identifiers.agentIdError(null)).contains("missing");
        assertThatThrownBy(() -> Identifiers.requireAgentId("ä")).hasMessageContaining("[A-Za-z0-9._:-]");
    }

    @Test
    void channels() {
        assertThat(Identifiers.channelError("policies/v2.beta_1-x")).isNull();
        assertThat(Identifiers.channelError("0")).isNull();
        assertThat(Identifiers.channelError("a".repeat(128))).isNull();
        assertThat(Identifiers.channelError("a".repeat(129))).isNotNull();
        assertThat(Identifiers.channelError("/root")).contains("start");
        assertThat(Identifiers.channelError("Upper")).isNotNull();
        assertThat(Identifiers.channelError("a:b")).isNotNull();
    }

    @Test
    void typesAndMessageIds() {
        assertThat(Identifiers.messageTypeError("key_update")).isNull();
        assertThat(Identifiers.messageTypeError("1x")).isNotNull();
        assertThat(Identifiers.messageTypeError("a".repeat(33))).isNotNull();
        assertThat(Identifiers.messageIdError("0b9e6f1c-9f0a-4c47:1")).isNull();
        assertThat(Identifiers.messageIdError("a".repeat(129))).isNotNull();
    }

    @Test
    void headers() {
        assertThat(Identifiers.headerKeyError("x-trace-id")).isNull();
        assertThat(Identifiers.headerKeyError("-x")).isNotNull();
        assertThat(Identifiers.headerKeyError("X")).isNotNull();
        assertThat(Identifiers.headerKeyError("a_b")).isNotNull();
        assertThat(Identifiers.headerKeyError("a".repeat(65))).isNotNull();
        assertThat(Identifiers.headerValueError("é".repeat(512))).isNull();
        assertThat(Identifiers.headerValueError("é".repeat(513))).contains("1026");
        assertThat(Identifiers.headerValueError("\ud83d\ude00")).isNull();
        assertThat(Identifiers.headerValueError("\ud83d")).contains("surrogate");
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 33; i++) {
            many.put("k" + i, "");
        }
        assertThat(Identifiers.headersError(many)).contains("32");
        assertThat(Identifiers.utf8Length("a\u00e9\u20ac\ud83d\ude00")).isEqualTo(1 + 2 + 3 + 4);
    }

    @Test
    void closeCodesCarryTheirReaction() {
        assertThat(CloseCode.of(4003)).isEqualTo(CloseCode.REVOKED);
        assertThat(CloseCode.REVOKED.reaction()).isEqualTo(CloseCode.Reaction.STOP);
        assertThat(CloseCode.REPLACED.reaction()).isEqualTo(CloseCode.Reaction.STOP);
        assertThat(CloseCode.SESSION_EXPIRED.reaction()).isEqualTo(CloseCode.Reaction.RECONNECT_NOW);
        assertThat(CloseCode.AUTH_FAILED.reaction()).isEqualTo(CloseCode.Reaction.RECONNECT_BACKOFF_LONG);
        assertThat(CloseCode.RATE_LIMITED.reaction()).isEqualTo(CloseCode.Reaction.RECONNECT_BACKOFF_LONG);
        assertThat(CloseCode.reactionFor(4999)).isEqualTo(CloseCode.Reaction.RECONNECT_BACKOFF);
        assertThat(CloseCode.of(4999)).isNull();
        for (CloseCode c : CloseCode.values()) {
            assertThat(c.reasonText().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThan(123);
        }
    }
}
