package io.aegis.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.handshake.AuthenticationResponse;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.handshake.ServerHandshake;
import io.aegis.protocol.http.RecordBatch;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import io.aegis.protocol.testing.Hostile;
import io.aegis.protocol.testing.MutableClock;
import io.aegis.protocol.testing.Sessions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Every decoder that reads bytes from the network, fed hostile variants of well-formed input
 * ({@link Hostile}): each input is either accepted or refused with the decoder's own documented
 * exception ({@link WireFormatException}, {@link HandshakeException}, {@link RecordException});
 * never another exception, a stack overflow from deep nesting, or a hang. The default run tries
 * each property jqwik's default number of times; {@code -Pfuzz} runs 1,000,000 tries of each
 * (docs/ARCHITECTURE.md, "Fuzzing").
 */
class DecoderFuzzProperties {
    private static final MutableClock CLOCK = new MutableClock(Sessions.NOW);
    private static final int MAX = Sessions.MAX_FRAME;
    private static final String M1;
    private static final String M2;
    private static final String M3;
    private static final String RECORD;
    private static final String POST;
    private static final String SUCCESS = WireJson.encode(AuthenticationResponse.success(new byte[32], "token-abc",
            Sessions.NOW / 1000 + 86_400, new byte[16]));

    static {
        try {
            ServerHandshake server = new ServerHandshake(Sessions.serverConfig(CLOCK));
            ClientHandshake client = new ClientHandshake(Sessions.clientConfig(CLOCK));
            M1 = client.clientHello();
            M2 = server.onClientHello(M1, Sessions.registry());
            M3 = client.onServerHello(M2);
            SecureChannel sender = Sessions.fixedPair(CLOCK)[0];
            var m = sender.seal("cmd-1", "request", "commands/scan", Map.of("trace-id", "t-1"),
                    "{\"path\":\"/tmp\",\"deep\":true}".getBytes(StandardCharsets.UTF_8));
            RECORD = WireJson.encode(m);
            POST = WireJson.encode(WireJson.AGENT_POST_NONCE, new RecordBatch(new byte[32], List.of(m, m)));
        } catch (HandshakeException | RecordException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FunctionalInterface
    interface Decoder {
        void decode() throws Exception;
    }

    /** Runs {@code d}; fails unless it returns or throws one of {@code refusals}. */
    @SafeVarargs
    private static void acceptedOrRefused(String input, Decoder d, Class<? extends Exception>... refusals) {
        try {
            d.decode();
        } catch (Throwable t) {
            for (Class<? extends Exception> r : refusals) {
                if (r.isInstance(t)) {
                    return;
                }
            }
            throw new AssertionError("undocumented " + t + " for input of " + input.length() + " chars: "
                    + input.substring(0, Math.min(300, input.length())), t);
        }
    }

    @Property
    void recordEnvelopes(@ForAll long seed) {
        String in = Hostile.mutate(RECORD, seed);
        acceptedOrRefused(in, () -> WireJson.decodeSecureMessage(in, MAX), WireFormatException.class);
    }

    @Property
    void recordsOpened(@ForAll long seed) {
        String in = Hostile.mutate(RECORD, seed);
        SecureChannel receiver = Sessions.fixedPair(CLOCK)[1];
        acceptedOrRefused(in, () -> receiver.open(in), RecordException.class);
    }

    @Property
    void clientHellos(@ForAll long seed) {
        String in = Hostile.mutate(M1, seed);
        acceptedOrRefused(in, () -> WireJson.decodeClientHello(in), WireFormatException.class);
        acceptedOrRefused(in, () -> new ServerHandshake(Sessions.serverConfig(CLOCK)).onClientHello(in,
                Sessions.registry()), HandshakeException.class);
    }

    @Property
    void serverHellos(@ForAll long seed) {
        String in = Hostile.mutate(M2, seed);
        acceptedOrRefused(in, () -> WireJson.decodeServerHello(in), WireFormatException.class);
        ClientHandshake client = new ClientHandshake(Sessions.clientConfig(CLOCK));
        client.clientHello();
        acceptedOrRefused(in, () -> client.onServerHello(in), HandshakeException.class);
    }

    @Property
    void clientAuths(@ForAll long seed) {
        String in = Hostile.mutate(M3, seed);
        acceptedOrRefused(in, () -> WireJson.decodeClientAuth(in), WireFormatException.class);
    }

    @Property
    void clientAuthsAfterARealHello(@ForAll long seed) throws HandshakeException {
        String in = Hostile.mutate(M3, seed);
        ServerHandshake server = new ServerHandshake(Sessions.serverConfig(CLOCK));
        server.onClientHello(M1, Sessions.registry());
        acceptedOrRefused(in, () -> server.onClientAuth(in), HandshakeException.class);
    }

    @Property
    void authenticationResponses(@ForAll long seed, @ForAll boolean success) {
        String in = Hostile.mutate(success ? SUCCESS : ServerHandshake.FAILURE_FRAME, seed);
        acceptedOrRefused(in, () -> WireJson.decodeAuthenticationResponse(in), WireFormatException.class);
    }

    @Property
    void keyUpdates(@ForAll long seed, @ForAll boolean requested) {
        String in = Hostile.mutate(new String(WireJson.encodeKeyUpdate(requested), StandardCharsets.UTF_8), seed);
        acceptedOrRefused(in, () -> WireJson.decodeKeyUpdate(in.getBytes(StandardCharsets.UTF_8)),
                WireFormatException.class);
    }

    @Property
    void httpRecordBatches(@ForAll long seed) {
        String in = Hostile.mutate(POST, seed);
        acceptedOrRefused(in, () -> WireJson.decodeRecordBatch(in.getBytes(StandardCharsets.UTF_8),
                WireJson.AGENT_POST_NONCE, 32, 10, MAX), WireFormatException.class);
    }

    /** Nothing past the frame limit is parsed: the decoder refuses it by its length alone. */
    @Property
    void anInputOverTheLimitIsRefusedAsTooLarge(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4096) int over) {
        String in = Hostile.mutate(RECORD, seed) + "x"; // never empty: an empty frame is under every limit
        int limit = Math.max(0, in.length() - over);
        try {
            WireJson.decodeSecureMessage(in, limit);
            throw new AssertionError("accepted " + in.length() + " chars under a limit of " + limit);
        } catch (WireFormatException e) {
            assertThat(e.isTooLarge()).as(e.getMessage()).isTrue();
        }
    }
}
