package io.aegis.protocol.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireFormatException;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.testing.MutableClock;
import io.aegis.protocol.testing.Sessions;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Properties of the envelope codec and the record layer over generated inputs. */
class RecordProperties {

    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-";

    @Provide
    Arbitrary<SecureMessage> messages() {
        Arbitrary<String> ids = Arbitraries.strings().withChars(ID_CHARS).ofMinLength(1).ofMaxLength(128);
        Arbitrary<String> types = Combinators.combine(Arbitraries.chars().range('a', 'z'),
                Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789_").ofMaxLength(31)).as((c, s) -> c + s);
        Arbitrary<String> channels = Combinators.combine(Arbitraries.chars().with("abcdefghijklmnopqrstuvwxyz0123456789"),
                Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789._/-").ofMaxLength(127)).as((c, s) -> c + s);
        Arbitrary<String> text = Arbitraries.strings().withCharRange('\u0000', '\ud7ff').withCharRange('\ue000', '\uffff')
                .ofMaxLength(64);
        Arbitrary<String> keys = Combinators.combine(Arbitraries.chars().with("abcdefghijklmnopqrstuvwxyz0123456789"),
                Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-").ofMaxLength(63)).as((c, s) -> c + s);
        Arbitrary<Map<String, String>> headers = Arbitraries.maps(keys, text).ofMaxSize(32);
        return Combinators.combine(ids, types, channels, text, Arbitraries.longs().greaterOrEqual(0), text, text, headers)
                .as(SecureMessage::new);
    }

    @Property
    void envelopesRoundTripThroughJson(@ForAll("messages") SecureMessage m) throws WireFormatException {
        String json = WireJson.encode(m);
        assertThat(WireJson.decodeSecureMessage(json, 1 << 20)).isEqualTo(m);
        assertThat(WireJson.encode(WireJson.decodeSecureMessage(json, 1 << 20))).isEqualTo(json);
    }

    private static SecureMessage sealedSample(SecureChannel sender) throws RecordException {
        return sender.seal("cmd-1", "request", "commands/scan", Map.of("trace-id", "t-1", "priority", "high"),
                "{\"path\":\"/tmp\",\"deep\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Property
    void aSealedFrameWithAnyOneCharacterChangedNeverOpens(@ForAll @IntRange(min = 0, max = 10_000) int where,
                                                         @ForAll @IntRange(min = 1, max = 0xffff) int replacement)
            throws RecordException {
        SecureChannel[] pair = Sessions.fixedPair(new MutableClock(Sessions.NOW));
        String frame = WireJson.encode(sealedSample(pair[0]));
        int pos = where % frame.length();
        char c = (char) replacement;
        if (c == frame.charAt(pos) || Character.isSurrogate(c)) {
            return;
        }
        String mutated = frame.substring(0, pos) + c + frame.substring(pos + 1);
        assertThatThrownBy(() -> pair[1].open(mutated)).isInstanceOf(RecordException.class);
    }

    @Property
    void aSealedPayloadWithAnyBitFlippedNeverOpens(@ForAll @IntRange(min = 0, max = 100_000) int bit)
            throws RecordException {
        SecureChannel[] pair = Sessions.fixedPair(new MutableClock(Sessions.NOW));
        SecureMessage m = sealedSample(pair[0]);
        byte[] sealed = StrictBase64.decode(m.payload());
        int b = bit % (sealed.length * 8);
        sealed[b / 8] ^= (byte) (1 << (b % 8));
        SecureMessage bad = new SecureMessage(m.id(), m.type(), m.channel(), StrictBase64.encode(sealed), m.timestamp(),
                m.nonce(), m.signature(), m.headers());
        assertThatThrownBy(() -> pair[1].open(bad)).isInstanceOfSatisfying(RecordException.class,
                e -> assertThat(e.reason()).isEqualTo(RecordException.Reason.DECRYPT_FAILED));
    }

    @Property(tries = 50)
    void recordsOfAnyShapeSealAndOpen(@ForAll("messages") SecureMessage shape) throws RecordException {
        SecureChannel[] pair = Sessions.fixedPair(new MutableClock(Sessions.NOW));
        byte[] body = shape.payload().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (shape.type().equals("session") || shape.type().equals("key_update")) {
            return;
        }
        SecureMessage m = pair[0].seal(shape.id(), shape.type(), shape.channel(), shape.headers(), body);
        OpenedRecord r = pair[1].open(WireJson.encode(m));
        assertThat(r.body()).isEqualTo(body);
        assertThat(r.headers()).isEqualTo(shape.headers());
    }
}
