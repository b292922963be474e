package io.aegis.protocol.record;

import static io.aegis.protocol.testing.Sessions.CLIENT_SECRET;
import static io.aegis.protocol.testing.Sessions.NOW;
import static io.aegis.protocol.testing.Sessions.SESSION_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.testing.MutableClock;
import io.aegis.protocol.testing.Sessions;
import io.aegis.protocol.testing.SpecMath;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class RecordLayerTest {

    private final MutableClock clock = new MutableClock(NOW);
    private static final byte[] BODY = "{\"cmd\":\"scan\"}".getBytes(StandardCharsets.UTF_8);
    private static final Map<String, String> HEADERS = Map.of("trace-id", "abc123", "priority", "high");

    private static void assertFails(RecordException.Reason reason, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(RecordException.class,
                e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }

    private SecureChannel[] pair() {
        return Sessions.fixedPair(clock);
    }

    @Test
    void recordsRoundTripWithHeadersInBothDirections() throws Exception {
        Sessions.Pair p = Sessions.handshake(clock);
        SecureMessage m = p.client().seal("evt-1", MessageTypes.EVENT, "events/alerts", HEADERS, BODY);
        assertThat(m.signature()).isEmpty();
        assertThat(m.timestamp()).isEqualTo(NOW);
        assertThat(StrictBase64.decode(m.nonce())).hasSize(12);
        OpenedRecord r = p.server().open(WireJson.encode(m));
        assertThat(r.id()).isEqualTo("evt-1");
        assertThat(r.type()).isEqualTo("event");
        assertThat(r.channel()).isEqualTo("events/alerts");
        assertThat(r.headers()).isEqualTo(HEADERS);
        assertThat(r.body()).isEqualTo(BODY);
        assertThat(r.epoch()).isZero();
        assertThat(r.seq()).isZero();
        assertThat(r.isSigned()).isFalse();

        SecureMessage back = p.server().seal("req-1", MessageTypes.REQUEST, "commands", BODY);
        assertThat(p.client().open(back).bodyText()).isEqualTo(new String(BODY, StandardCharsets.UTF_8));
        assertThat(p.server().sealer().totalRecords()).isEqualTo(2);
        assertThat(p.client().opener().totalRecords()).isEqualTo(2);
    }

    @Test
    void aReplayedRecordIsRefusedAndKillsTheChannel() throws Exception {
        SecureChannel[] c = pair();
        SecureMessage m = c[0].seal("a", "event", "events", BODY);
        c[1].open(m);
        assertFails(RecordException.Reason.NONCE_MISMATCH, () -> c[1].open(m));
        assertThat(c[1].isClosed()).isTrue();
        SecureMessage next = c[0].seal("b", "event", "events", BODY);
        assertFails(RecordException.Reason.CLOSED, () -> c[1].open(next));
        assertFails(RecordException.Reason.CLOSED, () -> c[1].seal("x", "event", "events", BODY));
    }

    @Test
    void reorderedRecordsAreRefused() throws Exception {
        SecureChannel[] c = pair();
        SecureMessage first = c[0].seal("a", "event", "events", BODY);
        SecureMessage second = c[0].seal("b", "event", "events", BODY);
        assertFails(RecordException.Reason.NONCE_MISMATCH, () -> c[1].open(second));
        assertThat(first.nonce()).isNotEqualTo(second.nonce());
    }

    @Test
    void aDroppedRecordIsDetected() throws Exception {
        SecureChannel[] c = pair();
        c[0].seal("a", "event", "events", BODY); // lost
        SecureMessage second = c[0].seal("b", "event", "events", BODY);
        assertFails(RecordException.Reason.NONCE_MISMATCH, () -> c[1].open(second));
    }

    @Test
    void aNonceForgedToTheExpectedValueStillFailsTheTag() throws Exception {
        // The second record relabelled with the first record's nonce: decryption uses seq 0 and fails.
        SecureChannel[] c = pair();
        SecureMessage first = c[0].seal("a", "event", "events", BODY);
        SecureMessage second = c[0].seal("b", "event", "events", BODY);
        SecureMessage forged = new SecureMessage(second.id(), second.type(), second.channel(), second.payload(),
                second.timestamp(), first.nonce(), "", second.headers());
        assertFails(RecordException.Reason.DECRYPT_FAILED, () -> c[1].open(forged));
    }

    @Test
    void aRecordEchoedBackToItsSenderIsRefused() throws Exception {
        Sessions.Pair p = Sessions.handshake(clock);
        SecureMessage m = p.client().seal("a", "event", "events", BODY);
        assertFails(RecordException.Reason.NONCE_MISMATCH, () -> p.client().open(m));
        // Delivered the right way it is fine.
        Sessions.Pair q = Sessions.handshake(clock);
        SecureMessage m2 = q.client().seal("a", "event", "events", BODY);
        assertThat(q.server().open(m2).id()).isEqualTo("a");
    }

    @Test
    void aReflectedRecordWithAMatchingNonceStillFails() throws Exception {
        // Even if both directions had the same secret (so the nonce would match), the direction
        // byte in the associated data differs: a 'C' record never opens as an 'S' record.
        byte[] pt = concat(new byte[] {0}, BODY);
        SecureMessage asClient = craft(0x43, "session", MessageTypes.SESSION, Protocol.CONTROL_CHANNEL, CLIENT_SECRET, 0, 0, pt);
        SecureMessage asServer = craft(0x53, "session", MessageTypes.SESSION, Protocol.CONTROL_CHANNEL, CLIENT_SECRET, 0, 0, pt);
        assertThat(asClient.nonce()).isEqualTo(asServer.nonce());
        SecureChannel echo = SecureChannel.create(SecureChannel.Role.CLIENT, SESSION_ID, CLIENT_SECRET, CLIENT_SECRET,
                clock, Sessions.MAX_FRAME);
        assertFails(RecordException.Reason.DECRYPT_FAILED, () -> echo.open(asClient));
        SecureChannel control = SecureChannel.create(SecureChannel.Role.CLIENT, SESSION_ID, CLIENT_SECRET, CLIENT_SECRET,
                clock, Sessions.MAX_FRAME);
        assertThat(control.open(asServer).type()).isEqualTo(MessageTypes.SESSION);
    }

    /** Flip one authenticated field of a c→s record and expect it to fail on a fresh pair. */
    private void assertTamperFails(RecordException.Reason reason, UnaryOperator<SecureMessage> tamper) throws Exception {
        SecureChannel[] c = pair();
        SecureMessage m = c[0].seal("cmd-42", MessageTypes.EVENT, "events", HEADERS, BODY);
        SecureMessage bad = tamper.apply(m);
        assertThat(WireJson.encode(bad)).isNotEqualTo(WireJson.encode(m));
        assertFails(reason, () -> c[1].open(bad));
    }

    private static SecureMessage with(SecureMessage m, String id, String type, String channel, String payload,
                                      long ts, String nonce, Map<String, String> headers) {
        return new SecureMessage(id, type, channel, payload, ts, nonce, m.signature(), headers);
    }

    @Test
    void aChangeToAnyAuthenticatedFieldFailsTheTag() throws Exception {
        RecordException.Reason bad = RecordException.Reason.DECRYPT_FAILED;
        assertTamperFails(bad, m -> with(m, "cmd-43", m.type(), m.channel(), m.payload(), m.timestamp(), m.nonce(), m.headers()));
        assertTamperFails(bad, m -> with(m, m.id(), "request", m.channel(), m.payload(), m.timestamp(), m.nonce(), m.headers()));
        assertTamperFails(bad, m -> with(m, m.id(), m.type(), "eventz", m.payload(), m.timestamp(), m.nonce(), m.headers()));
        assertTamperFails(bad, m -> with(m, m.id(), m.type(), m.channel(), m.payload(), m.timestamp() + 1, m.nonce(), m.headers()));
        assertTamperFails(bad, m -> {
            Map<String, String> h = new HashMap<>(m.headers());
            h.put("trace-ie", h.remove("trace-id"));
            return with(m, m.id(), m.type(), m.channel(), m.payload(), m.timestamp(), m.nonce(), h);
        });
        assertTamperFails(bad, m -> {
            Map<String, String> h = new HashMap<>(m.headers());
            h.put("priority", "higi");
            return with(m, m.id(), m.type(), m.channel(), m.payload(), m.timestamp(), m.nonce(), h);
        });
        assertTamperFails(bad, m -> {
            Map<String, String> h = new HashMap<>(m.headers());
            h.remove("priority");
            return with(m, m.id(), m.type(), m.channel(), m.payload(), m.timestamp(), m.nonce(), h);
        });
        assertTamperFails(bad, m -> {
            Map<String, String> h = new HashMap<>(m.headers());
            h.put("extra", "");
            return with(m, m.id(), m.type(), m.channel(), m.payload(), m.timestamp(), m.nonce(), h);
        });
        // Every byte of the ciphertext and of the tag.
        SecureChannel[] c0 = pair();
        int sealedLength = StrictBase64.decode(c0[0].seal("cmd-42", MessageTypes.EVENT, "events", HEADERS, BODY).payload()).length;
        for (int i = 0; i < sealedLength; i++) {
            int index = i;
            assertTamperFails(bad, m -> {
                byte[] p = StrictBase64.decode(m.payload());
                p[index] ^= 0x01;
                return with(m, m.id(), m.type(), m.channel(), StrictBase64.encode(p), m.timestamp(), m.nonce(), m.headers());
            });
        }
        // The nonce is checked before decryption.
        assertTamperFails(RecordException.Reason.NONCE_MISMATCH, m -> {
            byte[] n = StrictBase64.decode(m.nonce());
            n[11] ^= 0x01;
            return with(m, m.id(), m.type(), m.channel(), m.payload(), m.timestamp(), StrictBase64.encode(n), m.headers());
        });
    }

    @Test
    void aRecordFromASessionWithAnotherSessionIdFails() throws Exception {
        byte[] otherId = SESSION_ID.clone();
        otherId[15] ^= 1;
        SecureChannel sender = SecureChannel.create(SecureChannel.Role.CLIENT, otherId, CLIENT_SECRET,
                Sessions.SERVER_SECRET, clock, Sessions.MAX_FRAME);
        SecureChannel receiver = pair()[1];
        SecureMessage m = sender.seal("a", "event", "events", BODY);
        assertFails(RecordException.Reason.DECRYPT_FAILED, () -> receiver.open(m));
    }

    @Test
    void malformedPayloadsAndEnvelopesAreRefused() throws Exception {
        SecureChannel[] c = pair();
        SecureMessage m = c[0].seal("a", "event", "events", BODY);
        SecureChannel[] c2 = pair();
        c2[0].seal("a", "event", "events", BODY);
        assertFails(RecordException.Reason.BAD_PAYLOAD,
                () -> c2[1].open(with(m, m.id(), m.type(), m.channel(), m.payload().replace("=", ""), m.timestamp(), m.nonce(), m.headers())));
        SecureChannel[] c3 = pair();
        assertFails(RecordException.Reason.MALFORMED,
                () -> c3[1].open(new SecureMessage("a", "event", "events", m.payload(), m.timestamp(), m.nonce(), "c2ln", m.headers())));
        SecureChannel[] c4 = pair();
        assertFails(RecordException.Reason.BAD_PAYLOAD,
                () -> c4[1].open(with(m, "a", "event", "events", "AAAA", m.timestamp(), m.nonce(), m.headers())));
        SecureChannel[] c5 = pair();
        assertFails(RecordException.Reason.MALFORMED, () -> c5[1].open(WireJson.encode(m) + "{}"));
        SecureChannel[] c6 = pair();
        assertFails(RecordException.Reason.MALFORMED, () -> c6[1].open(WireJson.encode(m).replace("\"headers\":{}", "\"headers\":{},\"x\":1")));
    }

    @Test
    void oversizedFramesAreRefusedBeforeParsing() throws Exception {
        SecureChannel[] c = pair();
        String huge = "{\"id\":\"" + "a".repeat(Sessions.MAX_FRAME) + "\"}";
        assertFails(RecordException.Reason.TOO_LARGE, () -> c[1].open(huge));
        SecureChannel[] d = pair();
        assertThatThrownBy(() -> d[0].seal("a", "event", "events", new byte[Sessions.MAX_FRAME]))
                .isInstanceOf(IllegalStateException.class);
        // Nothing was consumed: the next record is still seq 0.
        assertThat(d[1].open(d[0].seal("a", "event", "events", BODY)).seq()).isZero();
    }

    /** Seals a c→s plaintext by hand, with the spec formulas, at the given position. */
    private static SecureMessage craft(String id, String type, String channel, byte[] secret, long epoch, long seq,
                                       byte[] plaintext) {
        return craft(0x43, id, type, channel, secret, epoch, seq, plaintext);
    }

    private static SecureMessage craft(int direction, String id, String type, String channel, byte[] secret,
                                       long epoch, long seq, byte[] plaintext) {
        byte[] nonce = SpecMath.nonce(SpecMath.iv(secret), seq);
        byte[] aad = SpecMath.aad(SESSION_ID, direction, epoch, seq, id, type, channel, NOW, new TreeMap<>());
        byte[] sealed = SpecMath.seal(SpecMath.key(secret), nonce, aad, plaintext);
        return new SecureMessage(id, type, channel, StrictBase64.encode(sealed), NOW, StrictBase64.encode(nonce), "", Map.of());
    }

    private static byte[] concat(byte[]... parts) {
        SpecMath.Bytes b = SpecMath.bytes();
        for (byte[] p : parts) {
            b.raw(p);
        }
        return b.bytes();
    }

    @Test
    void handCraftedRecordsMatchTheSpecAndBadPlaintextsAreRefused() throws Exception {
        SecureChannel ok = pair()[1];
        assertThat(ok.open(craft("a", "event", "events", CLIENT_SECRET, 0, 0, concat(new byte[] {0}, BODY))).body())
                .isEqualTo(BODY);

        assertFails(RecordException.Reason.BAD_PLAINTEXT,
                () -> pair()[1].open(craft("a", "event", "events", CLIENT_SECRET, 0, 0, concat(new byte[] {2}, BODY))));
        assertFails(RecordException.Reason.BAD_PLAINTEXT,
                () -> pair()[1].open(craft("a", "event", "events", CLIENT_SECRET, 0, 0, new byte[] {1, 0, 0, 0})));
        byte[] truncatedSig = SpecMath.bytes().u8(1).raw(new byte[8]).u64(0).vec16("*".getBytes(StandardCharsets.UTF_8))
                .raw(new byte[63]).bytes();
        assertFails(RecordException.Reason.BAD_PLAINTEXT,
                () -> pair()[1].open(craft("a", "event", "events", CLIENT_SECRET, 0, 0, truncatedSig)));
        byte[] badAudience = SpecMath.bytes().u8(1).raw(new byte[8]).u64(0).vec16("everyone".getBytes(StandardCharsets.UTF_8))
                .raw(new byte[64]).bytes();
        assertFails(RecordException.Reason.BAD_PLAINTEXT,
                () -> pair()[1].open(craft("a", "event", "events", CLIENT_SECRET, 0, 0, badAudience)));
        assertFails(RecordException.Reason.BAD_PAYLOAD,
                () -> pair()[1].open(craft("a", "event", "events", CLIENT_SECRET, 0, 0, new byte[0])));
    }

    @Test
    void controlRecordsOutOfPlaceAreRefused() throws Exception {
        byte[] ku = concat(new byte[] {0}, WireJson.encodeKeyUpdate(false));
        assertFails(RecordException.Reason.BAD_CONTROL,
                () -> pair()[1].open(craft("k", MessageTypes.KEY_UPDATE, "events", CLIENT_SECRET, 0, 0, ku)));
        assertFails(RecordException.Reason.BAD_CONTROL, () -> pair()[1].open(craft("k", MessageTypes.KEY_UPDATE,
                "control", CLIENT_SECRET, 0, 0, concat(new byte[] {0}, "{\"update_requested\":1}".getBytes(StandardCharsets.UTF_8)))));
        assertFails(RecordException.Reason.BAD_CONTROL, () -> pair()[1].open(craft("s", MessageTypes.SESSION,
                "control", CLIENT_SECRET, 0, 0, concat(new byte[] {0}, BODY))));
        // The agent refuses anything but a session record first, and a second session record.
        Sessions.Pair p = Sessions.handshake(clock);
        SecureChannel client = SecureChannel.create(SecureChannel.Role.CLIENT, SESSION_ID, CLIENT_SECRET,
                Sessions.SERVER_SECRET, clock, Sessions.MAX_FRAME);
        SecureChannel server = SecureChannel.create(SecureChannel.Role.SERVER, SESSION_ID, CLIENT_SECRET,
                Sessions.SERVER_SECRET, clock, Sessions.MAX_FRAME);
        assertThatThrownBy(() -> server.seal("x", MessageTypes.SESSION, "events", BODY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> server.sealKeyUpdate(false)).isInstanceOf(IllegalStateException.class);
        client.open(server.seal("session", MessageTypes.SESSION, "control", BODY));
        assertThatThrownBy(() -> server.seal("x", MessageTypes.SESSION, "control", BODY)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.client().seal("x", MessageTypes.SESSION, "control", BODY)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.client().seal("x", MessageTypes.KEY_UPDATE, "control", BODY)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keyUpdatesWorkInBothDirectionsAndAnswerRequests() throws Exception {
        Sessions.Pair p = Sessions.handshake(clock);
        SecureChannel client = p.client();
        SecureChannel server = p.server();
        server.open(client.seal("a", "event", "events", BODY));

        OpenedRecord ku = server.open(client.sealKeyUpdate(false));
        assertThat(ku.keyUpdate()).isTrue();
        assertThat(ku.keyUpdateRequested()).isFalse();
        assertThat(client.sealer().epoch()).isEqualTo(1);
        assertThat(server.opener().epoch()).isEqualTo(1);
        OpenedRecord after = server.open(client.seal("b", "event", "events", BODY));
        assertThat(after.epoch()).isEqualTo(1);
        assertThat(after.seq()).isZero();

        OpenedRecord req = client.open(server.sealKeyUpdate(true));
        assertThat(req.keyUpdateRequested()).isTrue();
        assertThat(client.keyUpdateOwed()).isTrue();
        assertThat(client.needsKeyUpdate(clock.instant(), Duration.ofDays(1), 1000)).isTrue();
        assertThat(server.open(client.sealKeyUpdate(false)).keyUpdateRequested()).isFalse();
        assertThat(client.keyUpdateOwed()).isFalse();
        assertThat(client.sealer().epoch()).isEqualTo(2);
        assertThat(client.opener().epoch()).isEqualTo(1);
        assertThat(client.open(server.seal("c", "request", "commands", BODY)).epoch()).isEqualTo(1);
        assertThat(server.open(client.seal("d", "event", "events", BODY)).epoch()).isEqualTo(2);
    }

    @Test
    void aRecordUnderThePreUpdateKeyFailsAfterTheUpdate() throws Exception {
        SecureChannel[] c = pair();
        SecureMessage ku = c[0].sealKeyUpdate(false);
        c[1].open(ku);
        // An attacker holding the old secret seals at the position the receiver now expects (epoch 1, seq 0).
        byte[] oldSecret = CLIENT_SECRET;
        byte[] newSecret = SpecMath.upd(oldSecret);
        byte[] nonce = SpecMath.nonce(SpecMath.iv(newSecret), 0);
        byte[] aad = SpecMath.aad(SESSION_ID, 0x43, 1, 0, "a", "event", "events", NOW, new TreeMap<>());
        byte[] sealedOld = SpecMath.seal(SpecMath.key(oldSecret), nonce, aad, concat(new byte[] {0}, BODY));
        SecureMessage underOldKey = new SecureMessage("a", "event", "events", StrictBase64.encode(sealedOld), NOW,
                StrictBase64.encode(nonce), "", Map.of());
        assertFails(RecordException.Reason.DECRYPT_FAILED, () -> c[1].open(underOldKey));

        // The same with the new key opens: the failure above is the key's doing.
        SecureChannel[] d = pair();
        d[1].open(d[0].sealKeyUpdate(false));
        byte[] sealedNew = SpecMath.seal(SpecMath.key(newSecret), nonce, aad, concat(new byte[] {0}, BODY));
        assertThat(d[1].open(new SecureMessage("a", "event", "events", StrictBase64.encode(sealedNew), NOW,
                StrictBase64.encode(nonce), "", Map.of())).epoch()).isEqualTo(1);
    }

    @Test
    void aRecordSealedBeforeTheUpdateButDeliveredAfterItFails() throws Exception {
        SecureChannel[] c = pair();
        SecureMessage old = c[0].seal("a", "event", "events", BODY);
        c[1].open(old);
        c[1].open(c[0].sealKeyUpdate(false));
        assertFails(RecordException.Reason.NONCE_MISMATCH, () -> c[1].open(old));
    }

    @Test
    void needsKeyUpdateAfterTheIntervalOrTheRecordLimit() throws Exception {
        SecureChannel[] c = pair();
        Duration day = Duration.ofDays(1);
        assertThat(c[0].needsKeyUpdate(clock.instant(), day, 3)).isFalse();
        for (int i = 0; i < 3; i++) {
            c[1].open(c[0].seal("m" + i, "event", "events", BODY));
        }
        assertThat(c[0].needsKeyUpdate(clock.instant(), day, 3)).isTrue();
        assertThat(c[1].peerKeyUpdateOverdue(clock.instant(), day, 3)).isTrue();
        c[1].open(c[0].sealKeyUpdate(false));
        assertThat(c[0].needsKeyUpdate(clock.instant(), day, 3)).isFalse();
        assertThat(c[1].peerKeyUpdateOverdue(clock.instant(), day, 3)).isFalse();
        clock.advance(day);
        assertThat(c[0].needsKeyUpdate(clock.instant(), day, 3)).isTrue();
    }

    @Test
    void sealingStopsAtTheEpochLimitButKeyUpdateStillGoesThrough() throws Exception {
        long last = Protocol.MAX_RECORDS_PER_EPOCH - 1;
        RecordSealer sealer = new RecordSealer(SESSION_ID, Protocol.DIRECTION_CLIENT_TO_SERVER, CLIENT_SECRET,
                Sessions.MAX_FRAME, NOW, last);
        assertFails(RecordException.Reason.LIMIT, () -> sealer.seal("a", "event", "events", Map.of(), NOW, null, BODY));
        SecureMessage ku = sealer.sealKeyUpdate(false, NOW, NOW);
        assertThat(StrictBase64.decode(ku.nonce())).isEqualTo(SpecMath.nonce(SpecMath.iv(CLIENT_SECRET), last));
        assertThat(sealer.epoch()).isEqualTo(1);
        assertThat(sealer.seal("a", "event", "events", Map.of(), NOW, null, BODY)).isNotNull();
        RecordSealer full = new RecordSealer(SESSION_ID, Protocol.DIRECTION_CLIENT_TO_SERVER, CLIENT_SECRET,
                Sessions.MAX_FRAME, NOW, Protocol.MAX_RECORDS_PER_EPOCH);
        assertFails(RecordException.Reason.LIMIT, () -> full.sealKeyUpdate(false, NOW, NOW));
    }

    @Test
    void invalidNamesAreRefusedBeforeAnythingIsConsumed() throws Exception {
        SecureChannel[] c = pair();
        assertThatThrownBy(() -> c[0].seal("bad id", "event", "events", BODY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c[0].seal("a", "Event", "events", BODY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c[0].seal("a", "event", "Events", BODY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c[0].seal("a", "event", "events", Map.of("Bad", "x"), BODY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(c[1].open(c[0].seal("a", "event", "events", BODY)).seq()).isZero();
    }

    @Test
    void closingErasesAndRefusesEverything() throws Exception {
        SecureChannel[] c = pair();
        c[0].close();
        assertFails(RecordException.Reason.CLOSED, () -> c[0].seal("a", "event", "events", BODY));
        assertFails(RecordException.Reason.CLOSED, () -> c[0].sealKeyUpdate(false));
        assertThat(c[0].isClosed()).isTrue();
    }
}
