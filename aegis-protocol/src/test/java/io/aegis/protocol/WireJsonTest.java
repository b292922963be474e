package io.aegis.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WireJsonTest {

    private static final SecureMessage M = new SecureMessage("id-1", "event", "events", "AAEC", 5, "AAAAAAAAAAAAAAAA", "",
            Map.of("z-last", "é \"quoted\"", "a-first", "1"));
    private static final String JSON = "{\"id\":\"id-1\",\"type\":\"event\",\"channel\":\"events\",\"payload\":\"AAEC\","
            + "\"timestamp\":5,\"nonce\":\"AAAAAAAAAAAAAAAA\",\"signature\":\"\","
            + "\"headers\":{\"a-first\":\"1\",\"z-last\":\"é \\\"quoted\\\"\"}}";

    @Test
    void encodesInTheDocumentedOrderWithSortedHeaders() {
        assertThat(WireJson.encode(M)).isEqualTo(JSON);
    }

    @Test
    void decodesWhatItEncodesFromTextAndBytes() throws Exception {
        assertThat(WireJson.decodeSecureMessage(JSON, 1 << 20)).isEqualTo(M);
        assertThat(WireJson.decodeSecureMessage(JSON.getBytes(StandardCharsets.UTF_8), 1 << 20)).isEqualTo(M);
        // Field order and insignificant whitespace do not matter.
        String reordered = " {\"headers\":{\"z-last\":\"é \\\"quoted\\\"\",\"a-first\":\"1\"}, \"signature\":\"\",\"nonce\":\"AAAAAAAAAAAAAAAA\","
                + "\"timestamp\":5,\"payload\":\"AAEC\",\"channel\":\"events\",\"type\":\"event\",\"id\":\"id-1\"}\n";
        assertThat(WireJson.decodeSecureMessage(reordered, 1 << 20)).isEqualTo(M);
    }

    @Test
    void refusesEveryDeviation() {
        String[] bad = {
            JSON + "{}",
            JSON + "x",
            JSON.replace("\"id\":\"id-1\",", "\"id\":\"id-1\",\"id\":\"id-2\","),
            JSON.replace("\"a-first\":\"1\"", "\"a-first\":\"1\",\"a-first\":\"2\""),
            JSON.replace("}}", "},\"extra\":null}"),
            JSON.replace("\"timestamp\":5", "\"timestamp\":\"5\""),
            JSON.replace("\"timestamp\":5", "\"timestamp\":5.0"),
            JSON.replace("\"timestamp\":5", "\"timestamp\":-5"),
            JSON.replace("\"timestamp\":5", "\"timestamp\":99999999999999999999"),
            JSON.replace("\"timestamp\":5", "\"timestamp\":5e0"),
            JSON.replace("\"timestamp\":5", "\"timestamp\":05"),
            JSON.replace("\"timestamp\":5,", ""),
            JSON.replace("\"signature\":\"\"", "\"signature\":null"),
            JSON.replace("\"headers\":{\"a-first\":\"1\",", "\"headers\":{\"a-first\":1,"),
            JSON.replace("\"headers\":{", "\"headers\":{\"Bad-Key\":\"x\","),
            JSON.replace("\"headers\":{", "\"headers\":{\"n\":{\"x\":\"y\"},"),
            JSON.replace("\"id\":\"id-1\"", "\"id\":\"id 1\""),
            JSON.replace("\"channel\":\"events\"", "\"channel\":\"Events\""),
            JSON.replace("\"type\":\"event\"", "\"type\":[\"event\"]"),
            JSON.replace("\"z-last\":\"é", "\"z-last\":\"\\ud800"),
            "[" + JSON + "]",
            "",
            "null",
            "{\"id\":\"a\" /* c */}",
        };
        for (String b : bad) {
            assertThatThrownBy(() -> WireJson.decodeSecureMessage(b, 1 << 20)).as(b).isInstanceOf(WireFormatException.class);
        }
    }

    @Test
    void refusesTooManyHeaders() {
        Map<String, String> h = new LinkedHashMap<>();
        for (int i = 0; i < 33; i++) {
            h.put("h" + i, "v");
        }
        StringBuilder sb = new StringBuilder();
        h.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append('"').append(k).append("\":\"").append(v).append('"'));
        String json = JSON.replace("\"headers\":{\"a-first\":\"1\",\"z-last\":\"é \\\"quoted\\\"\"}", "\"headers\":{" + sb + "}");
        assertThatThrownBy(() -> WireJson.decodeSecureMessage(json, 1 << 20)).hasMessageContaining("32 headers");
        assertThatThrownBy(() -> new SecureMessage("a", "event", "e", "", 0, "", "", h)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesOversizedInputBeforeParsing() {
        String multibyte = JSON.replace("\"1\"", "\"" + "é".repeat(450) + "\"");
        assertThat(multibyte.length()).isLessThan(1000);
        assertThatThrownBy(() -> WireJson.decodeSecureMessage(multibyte, 1000))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.isTooLarge()).isTrue());
        assertThatThrownBy(() -> WireJson.decodeSecureMessage(new byte[2000], 1000))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.isTooLarge()).isTrue());
    }

    @Test
    void errorMessagesDoNotEchoTheInput() {
        assertThatThrownBy(() -> WireJson.decodeSecureMessage("{\"secretvalue123\":1}", 1000))
                .hasMessageContaining("unknown field");
        assertThatThrownBy(() -> WireJson.decodeSecureMessage("{\"id\":secretvalue123}", 1000))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secretvalue123"));
    }

    @Test
    void keyUpdateBodiesAreStrict() throws Exception {
        assertThat(WireJson.decodeKeyUpdate(WireJson.encodeKeyUpdate(true))).isTrue();
        assertThat(WireJson.decodeKeyUpdate(WireJson.encodeKeyUpdate(false))).isFalse();
        for (String bad : new String[] {"{}", "{\"update_requested\":1}", "{\"update_requested\":true,\"x\":1}",
            "{\"update_requested\":true}{}"}) {
            assertThatThrownBy(() -> WireJson.decodeKeyUpdate(bad.getBytes(StandardCharsets.UTF_8))).as(bad)
                    .isInstanceOf(WireFormatException.class);
        }
    }
}
