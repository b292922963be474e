package io.aegis.agent.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class InputLineTest {

  private static final long NOW = 1_700_000_000_000L;

  private static JsonNode json(String s) throws Exception {
    return new ObjectMapper().readTree(s);
  }

  private static InputLine parse(String line) {
    return InputLine.parse(line, NOW);
  }

  @Test
  void channelAndJsonSendAnEvent() throws Exception {
    InputLine l = parse("telemetry {\"cpu\": 0.5}");
    assertThat(l.kind()).isEqualTo(InputLine.Kind.SEND);
    assertThat(l.channel()).isEqualTo("telemetry");
    assertThat(l.type()).isEqualTo("event");
    assertThat(l.body()).isEqualTo(json("{\"cpu\":0.5}"));
  }

  @Test
  void aTypeAfterAColonChoosesTheMessageType() throws Exception {
    InputLine l = parse("policy:request {}");
    assertThat(l.channel()).isEqualTo("policy");
    assertThat(l.type()).isEqualTo("request");
    assertThat(l.body()).isEqualTo(json("{}"));
  }

  @Test
  void eventsAlreadyInTheEventStoreShapeAreSentAsIs() throws Exception {
    String shaped = "{\"events\":[{\"type\":\"login\",\"body\":{}}]}";
    assertThat(parse("events " + shaped).body()).isEqualTo(json(shaped));
  }

  @Test
  void oneEventIsWrappedAndTimestamped() throws Exception {
    assertThat(parse("events {\"type\":\"login\",\"body\":{\"user\":\"root\"}}").body()).isEqualTo(json(
        "{\"events\":[{\"type\":\"login\",\"body\":{\"user\":\"root\"},\"timestamp\":" + NOW + "}]}"));
  }

  @Test
  void anArrayIsTheListOfEventsAndGivenTimestampsAreKept() throws Exception {
    assertThat(parse("events [{\"type\":\"a\",\"timestamp\":5},{\"type\":\"b\"}]").body()).isEqualTo(json(
        "{\"events\":[{\"type\":\"a\",\"timestamp\":5},{\"type\":\"b\",\"timestamp\":" + NOW + "}]}"));
  }

  @Test
  void theEventsRuleAppliesOnlyToEventsOnTheEventsChannel() throws Exception {
    assertThat(parse("events:request {\"x\":1}").body()).isEqualTo(json("{\"x\":1}"));
    assertThat(parse("audit {\"x\":1}").body()).isEqualTo(json("{\"x\":1}"));
  }

  @Test
  void replyNamesTheRequestToAnswer() throws Exception {
    InputLine l = parse(":reply m-42 {\"ok\":true}");
    assertThat(l.kind()).isEqualTo(InputLine.Kind.REPLY);
    assertThat(l.messageId()).isEqualTo("m-42");
    assertThat(l.body()).isEqualTo(json("{\"ok\":true}"));
  }

  @Test
  void blankLinesAndCommentsAreIgnored() {
    assertThat(parse("   ").kind()).isEqualTo(InputLine.Kind.NOTHING);
    assertThat(parse("# a comment").kind()).isEqualTo(InputLine.Kind.NOTHING);
  }

  @Test
  void malformedLinesSayWhatIsWrong() {
    assertThatThrownBy(() -> parse("events")).hasMessageContaining("expected CHANNEL JSON");
    assertThatThrownBy(() -> parse("events {oops")).hasMessageContaining("not JSON");
    assertThatThrownBy(() -> parse("events {} {}")).hasMessageContaining("not JSON");
    assertThatThrownBy(() -> parse("Events {}")).hasMessageContaining("channel");
    assertThatThrownBy(() -> parse("events:Bad {}")).hasMessageContaining("message type");
    assertThatThrownBy(() -> parse(":reply {}")).hasMessageContaining("usage");
    assertThatThrownBy(() -> parse(":send x {}")).hasMessageContaining("unknown command");
  }
}
