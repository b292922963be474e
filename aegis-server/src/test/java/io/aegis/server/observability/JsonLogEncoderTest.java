package io.aegis.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON log line: the fields it lifts out of a log call, and the ones it must not invent. */
class JsonLogEncoderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final LoggerContext context = new LoggerContext();
  private final JsonLogEncoder encoder = new JsonLogEncoder();

  JsonLogEncoderTest() {
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
  }

  private JsonNode encode(String pattern, Object... args) throws Exception {
    return encode(new LoggingEvent("test", context.getLogger("io.aegis.server.delivery.DeliveryEngine"),
        Level.INFO, pattern, null, args));
  }

  private JsonNode encode(LoggingEvent event) throws Exception {
    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
    assertThat(line).endsWith("\n").doesNotContain("\n\n");
    assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
    return JSON.readTree(line);
  }

  @Test
  void theIdsAPatternNamesBecomeFields() throws Exception {
    context.putProperty("node_id", "gw-1");
    JsonNode o = encode("agent_id={} message_id={} refused by the agent: {}", "web-01", "m-1", "no_handler");
    assertThat(o.path("message").asText()).isEqualTo("agent_id=web-01 message_id=m-1 refused by the agent: no_handler");
    assertThat(o.path("agent_id").asText()).isEqualTo("web-01");
    assertThat(o.path("message_id").asText()).isEqualTo("m-1");
    assertThat(o.path("node_id").asText()).isEqualTo("gw-1");
    assertThat(o.path("level").asText()).isEqualTo("INFO");
    assertThat(o.path("logger").asText()).isEqualTo("io.aegis.server.delivery.DeliveryEngine");
    assertThat(o.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
  }

  @Test
  void onlyPlaceholdersWrittenKeyEqualsCount() throws Exception {
    JsonNode o = encode("session {} of {} closed; other_id={} \\{} agent_id={}", "s-1", "x", "y", "web-02");
    assertThat(o.path("agent_id").asText()).isEqualTo("web-02");
    assertThat(o.has("message_id")).isFalse();
    assertThat(o.has("node_id")).isFalse();
    assertThat(o.has("exception")).isFalse();
    // Fewer arguments than placeholders, a null argument: no field, no failure.
    assertThat(encode("agent_id={} message_id={}", (Object) null).has("agent_id")).isFalse();
  }

  @Test
  void theMdcAndAThrowableAreKept() throws Exception {
    LoggingEvent e = new LoggingEvent("test", context.getLogger("x"), Level.ERROR, "handler failed \"quoted\"",
        new IllegalStateException("boom"), null);
    e.setMDCPropertyMap(Map.of("agent_id", "web-03", "unrelated", "dropped"));
    JsonNode o = encode(e);
    assertThat(o.path("agent_id").asText()).isEqualTo("web-03");
    assertThat(o.has("unrelated")).isFalse();
    assertThat(o.path("message").asText()).isEqualTo("handler failed \"quoted\"");
    assertThat(o.path("exception").asText()).contains("IllegalStateException: boom");
  }
}
