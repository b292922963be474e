package io.aegis.microbench;

import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireFormatException;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.CommandVerifier;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import io.aegis.protocol.record.SignedCommand;
import io.aegis.protocol.record.VerificationResult;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The record layer on a 1 KiB JSON command body, gateway to agent, through the public
 * {@link SecureChannel} / {@link CommandSigner} / {@link CommandVerifier} / {@link WireJson} API.
 * Channels are made with {@link SecureChannel#create} over fixed secrets (no handshake).
 *
 * <p>Gateway side (sending):
 * <ul>
 * <li>{@code broadcastSealEncode}: seal a precomputed {@link SignedCommand} and encode the frame:
 *     the per-recipient cost of a broadcast (one signature, N of these).</li>
 * <li>{@code broadcastFanOut}: the same into {@value #FAN_OUT} different channels per call,
 *     reported per recipient: the same work with each recipient's own key and state.</li>
 * <li>{@code broadcastSealOnly}: the seal without the JSON encoding.</li>
 * <li>{@code targetedSignSealEncode}: sign a command for one agent, seal, encode (a targeted
 *     send).</li>
 * </ul>
 * Agent side (receiving):
 * <ul>
 * <li>{@code agentDecodeOpenVerify}: decode the frame, open the record, check the command
 *     (pinned signer, Ed25519 verify, audience, expiry, replay set): what an agent does per
 *     command.</li>
 * <li>{@code agentDecodeOpen}: the same without the signature check.</li>
 * </ul>
 * Envelope alone: {@code envelopeEncode}, {@code envelopeDecode} of the sealed 1 KiB record's
 * JSON (about 1.5 KB of text).
 *
 * <p>The receiving side must open records in sequence, each only once, and the command verifier
 * refuses a repeated id. So {@link Receiver} seals {@value Receiver#FRAMES} distinct signed
 * commands up front; when a run has opened them all, it starts a new receiving channel and
 * verifier over the same secrets and opens them again. That restart costs a few µs once per
 * {@value Receiver#FRAMES} operations, well inside the error.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RecordBench {

    static final int BODY_BYTES = 1024;
    static final int FAN_OUT = 100;
    static final String CHANNEL = "commands";
    static final long EXPIRES_AT = Fixtures.NOW + 3_600_000;

    private SecureChannel gateway;
    private SecureChannel[] recipients;
    private CommandSigner signer;
    private SignedCommand broadcast;
    private byte[] body;
    private SecureMessage sealedMessage;
    private String sealedFrame;

    @Setup
    public void setUp() throws RecordException {
        body = Fixtures.jsonBody(BODY_BYTES);
        signer = CommandSigner.backend(Fixtures.BACKEND_KEY);
        broadcast = signer.broadcast("broadcast-1", MessageTypes.REQUEST, CHANNEL, EXPIRES_AT, body);
        gateway = gatewayChannel(Fixtures.SERVER_SECRET);
        recipients = new SecureChannel[FAN_OUT];
        for (int i = 0; i < FAN_OUT; i++) {
            recipients[i] = gatewayChannel(Fixtures.seed(i));
        }
        sealedMessage = gateway.seal(broadcast, Map.of());
        sealedFrame = WireJson.encode(sealedMessage);
    }

    /** A gateway-side channel that has already sent its session record, as after a handshake. */
    static SecureChannel gatewayChannel(byte[] serverSecret) throws RecordException {
        SecureChannel c = SecureChannel.create(SecureChannel.Role.SERVER, Fixtures.SESSION_ID, Fixtures.CLIENT_SECRET,
                serverSecret, Fixtures.CLOCK, Fixtures.MAX_FRAME);
        c.seal(Protocol.SESSION_RECORD_ID, MessageTypes.SESSION, Protocol.CONTROL_CHANNEL, sessionBody());
        return c;
    }

    static byte[] sessionBody() {
        return "{\"success\":true}".getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public String broadcastSealEncode() throws RecordException {
        return WireJson.encode(gateway.seal(broadcast, Map.of()));
    }

    @Benchmark
    @OperationsPerInvocation(FAN_OUT)
    public int broadcastFanOut() throws RecordException {
        int bytes = 0;
        for (SecureChannel c : recipients) {
            bytes += WireJson.encode(c.seal(broadcast, Map.of())).length();
        }
        return bytes;
    }

    @Benchmark
    public SecureMessage broadcastSealOnly() throws RecordException {
        return gateway.seal(broadcast, Map.of());
    }

    @Benchmark
    public String targetedSignSealEncode() throws RecordException {
        SignedCommand c = signer.toAgent(Fixtures.AGENT_ID, "cmd-1", MessageTypes.REQUEST, CHANNEL, EXPIRES_AT, body);
        return WireJson.encode(gateway.seal(c, Map.of()));
    }

    @Benchmark
    public String envelopeEncode() {
        return WireJson.encode(sealedMessage);
    }

    @Benchmark
    public SecureMessage envelopeDecode() throws WireFormatException {
        return WireJson.decodeSecureMessage(sealedFrame, Fixtures.MAX_FRAME);
    }

    @Benchmark
    public VerificationResult agentDecodeOpenVerify(Receiver r) throws RecordException {
        OpenedRecord record = r.next();
        VerificationResult v = r.verifier.verify(record);
        if (v != VerificationResult.ACCEPTED) {
            throw new IllegalStateException("command refused: " + v);
        }
        return v;
    }

    @Benchmark
    public OpenedRecord agentDecodeOpen(Receiver r) throws RecordException {
        return r.next();
    }

    /** The agent's end: a queue of distinct signed command frames, opened in order. */
    @State(Scope.Thread)
    public static class Receiver {
        static final int FRAMES = 4096;

        private String sessionFrame;
        private String[] frames;
        private int next;
        private SecureChannel channel;
        CommandVerifier verifier;

        @Setup
        public void setUp() throws RecordException {
            SecureChannel sender = SecureChannel.create(SecureChannel.Role.SERVER, Fixtures.SESSION_ID,
                    Fixtures.CLIENT_SECRET, Fixtures.SERVER_SECRET, Fixtures.CLOCK, Fixtures.MAX_FRAME);
            sessionFrame = WireJson.encode(sender.seal(Protocol.SESSION_RECORD_ID, MessageTypes.SESSION,
                    Protocol.CONTROL_CHANNEL, sessionBody()));
            CommandSigner signer = CommandSigner.backend(Fixtures.BACKEND_KEY);
            byte[] body = Fixtures.jsonBody(BODY_BYTES);
            frames = new String[FRAMES];
            for (int i = 0; i < FRAMES; i++) {
                SignedCommand c = signer.toAgent(Fixtures.AGENT_ID, "cmd-" + i, MessageTypes.REQUEST, CHANNEL,
                        EXPIRES_AT, body);
                frames[i] = WireJson.encode(sender.seal(c, Map.of()));
            }
            restart();
        }

        /** A fresh receiving channel (session record already opened) and verifier. */
        private void restart() throws RecordException {
            channel = SecureChannel.create(SecureChannel.Role.CLIENT, Fixtures.SESSION_ID, Fixtures.CLIENT_SECRET,
                    Fixtures.SERVER_SECRET, Fixtures.CLOCK, Fixtures.MAX_FRAME);
            channel.open(sessionFrame);
            verifier = new CommandVerifier(Fixtures.AGENT_ID,
                    PinnedBackendKeys.of(Fixtures.BACKEND_KEY.publicKey()), Fixtures.CLOCK,
                    CommandVerifier.DEFAULT_CAPACITY);
            next = 0;
        }

        OpenedRecord next() throws RecordException {
            if (next == FRAMES) {
                restart();
            }
            return channel.open(frames[next++]);
        }
    }
}
