package io.aegis.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.handshake.AuthenticationResponse;
import io.aegis.protocol.handshake.ClientAuth;
import io.aegis.protocol.handshake.ClientHello;
import io.aegis.protocol.handshake.ServerHello;
import io.aegis.protocol.http.RecordBatch;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The strict JSON codec of every wire object, on Jackson's streaming API.
 *
 * <p>Decoding refuses, with a {@link WireFormatException} naming the field and rule: input longer
 * than the caller's limit (checked before parsing), anything but one JSON object, trailing
 * tokens, unknown, duplicate, missing or {@code null} fields, wrong JSON types (a number given
 * as a string, a float where an integer is expected, an integer out of range), non-canonical or
 * invalid base64, uppercase or odd hex, wrong byte lengths, and values that break
 * {@link Identifiers}. Nothing is coerced. Encoding writes fields in the documented order and
 * headers sorted by key.
 *
 * <p>Stateless and thread-safe.
 */
public final class WireJson {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(3).build())
            .build();
    /** The HTTP exchange bodies nest one level deeper: object, array, record, headers. */
    private static final JsonFactory BATCH_FACTORY = JsonFactory.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).build())
            .build();

    /** Field name of the agent's nonce in the body of an agent post. */
    public static final String AGENT_POST_NONCE = "nonce";
    /** Field name of the gateway's nonce in the body of a gateway answer. */
    public static final String GATEWAY_ANSWER_NONCE = "server_nonce";

    private WireJson() {
    }

    // ------------------------------------------------------------------ SecureMessage

    /** Encodes a record envelope as one JSON object (the text of one WebSocket frame). */
    public static String encode(SecureMessage m) {
        StringWriter w = new StringWriter(m.payload().length() + 160 + 48 * m.headers().size());
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("id", m.id());
            g.writeStringField("type", m.type());
            g.writeStringField("channel", m.channel());
            g.writeStringField("payload", m.payload());
            g.writeNumberField("timestamp", m.timestamp());
            g.writeStringField("nonce", m.nonce());
            g.writeStringField("signature", m.signature());
            g.writeObjectFieldStart("headers");
            for (Map.Entry<String, String> h : m.headers().entrySet()) {
                g.writeStringField(h.getKey(), h.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /**
     * Decodes a record envelope.
     *
     * @param json          the frame text
     * @param maxFrameBytes refuse frames whose UTF-8 encoding is longer than this, before parsing
     */
    public static SecureMessage decodeSecureMessage(String json, int maxFrameBytes) throws WireFormatException {
        checkSize(json, maxFrameBytes);
        try (JsonParser p = FACTORY.createParser(json)) {
            return readSecureMessage(p);
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /** Decodes a record envelope given as UTF-8 bytes. */
    public static SecureMessage decodeSecureMessage(byte[] utf8, int maxFrameBytes) throws WireFormatException {
        if (utf8.length > maxFrameBytes) {
            throw tooLarge(utf8.length, maxFrameBytes);
        }
        try (JsonParser p = FACTORY.createParser(utf8)) {
            return readSecureMessage(p);
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    private static final String[] MESSAGE_FIELDS =
            {"id", "type", "channel", "payload", "timestamp", "nonce", "signature", "headers"};

    private static SecureMessage readSecureMessage(JsonParser p) throws IOException, WireFormatException {
        startObject(p);
        SecureMessage m = readSecureMessageFields(p);
        if (p.nextToken() != null) {
            throw new WireFormatException("trailing data after the JSON object");
        }
        return m;
    }

    /** Reads the fields of an envelope whose START_OBJECT was just read, up to its END_OBJECT. */
    private static SecureMessage readSecureMessageFields(JsonParser p) throws IOException, WireFormatException {
        String id = null;
        String type = null;
        String channel = null;
        String payload = null;
        String nonce = null;
        String signature = null;
        long timestamp = 0;
        Map<String, String> headers = null;
        int seen = 0;
        String name;
        while ((name = p.nextFieldName()) != null) {
            switch (name) {
                case "id" -> {
                    seen = mark(seen, 0, name);
                    id = string(p, name);
                }
                case "type" -> {
                    seen = mark(seen, 1, name);
                    type = string(p, name);
                }
                case "channel" -> {
                    seen = mark(seen, 2, name);
                    channel = string(p, name);
                }
                case "payload" -> {
                    seen = mark(seen, 3, name);
                    payload = string(p, name);
                }
                case "timestamp" -> {
                    seen = mark(seen, 4, name);
                    timestamp = nonNegativeLong(p, name);
                }
                case "nonce" -> {
                    seen = mark(seen, 5, name);
                    nonce = string(p, name);
                }
                case "signature" -> {
                    seen = mark(seen, 6, name);
                    signature = string(p, name);
                }
                case "headers" -> {
                    seen = mark(seen, 7, name);
                    headers = headers(p);
                }
                default -> throw unknown(name);
            }
        }
        requireFields(p, seen, MESSAGE_FIELDS);
        try {
            return new SecureMessage(id, type, channel, payload, timestamp, nonce, signature, headers);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException(e.getMessage());
        }
    }

    private static Map<String, String> headers(JsonParser p) throws IOException, WireFormatException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new WireFormatException("field 'headers' must be a JSON object");
        }
        Map<String, String> headers = new TreeMap<>();
        String key;
        while ((key = p.nextFieldName()) != null) {
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new WireFormatException("header values must be strings");
            }
            if (headers.put(key, p.getText()) != null) {
                throw new WireFormatException("duplicate header key");
            }
            if (headers.size() > Identifiers.MAX_HEADERS) {
                throw new WireFormatException("at most " + Identifiers.MAX_HEADERS + " headers are allowed");
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw new WireFormatException("field 'headers' is malformed");
        }
        return headers;
    }

    // ------------------------------------------------------------------ handshake

    /** Encodes M1. */
    public static String encode(ClientHello h) {
        return write(g -> {
            g.writeStringField("type", ClientHello.TYPE);
            g.writeNumberField("version", h.version());
            g.writeStringField("suite", h.suite());
            g.writeStringField("agent_id", h.agentId());
            g.writeStringField("public_key", StrictBase64.encode(h.publicKey()));
            g.writeStringField("backend_key_id", Hex.encode(h.backendKeyId()));
            g.writeStringField("ephemeral_key", StrictBase64.encode(h.ephemeralKey()));
            g.writeStringField("nonce", StrictBase64.encode(h.nonce()));
            g.writeNumberField("timestamp", h.timestamp());
        });
    }

    private static final String[] CLIENT_HELLO_FIELDS = {"type", "version", "suite", "agent_id", "public_key",
        "backend_key_id", "ephemeral_key", "nonce", "timestamp"};

    /** Decodes M1 (at most {@link Protocol#MAX_HANDSHAKE_FRAME_BYTES}). */
    public static ClientHello decodeClientHello(String json) throws WireFormatException {
        checkSize(json, Protocol.MAX_HANDSHAKE_FRAME_BYTES);
        try (JsonParser p = FACTORY.createParser(json)) {
            startObject(p);
            int seen = 0;
            int version = 0;
            long timestamp = 0;
            String suite = null;
            String agentId = null;
            byte[] publicKey = null;
            byte[] keyId = null;
            byte[] ephemeral = null;
            byte[] nonce = null;
            String name;
            while ((name = p.nextFieldName()) != null) {
                switch (name) {
                    case "type" -> {
                        seen = mark(seen, 0, name);
                        expectType(p, ClientHello.TYPE);
                    }
                    case "version" -> {
                        seen = mark(seen, 1, name);
                        version = smallInt(p, name);
                    }
                    case "suite" -> {
                        seen = mark(seen, 2, name);
                        suite = string(p, name);
                    }
                    case "agent_id" -> {
                        seen = mark(seen, 3, name);
                        agentId = string(p, name);
                    }
                    case "public_key" -> {
                        seen = mark(seen, 4, name);
                        publicKey = base64(p, name, 32);
                    }
                    case "backend_key_id" -> {
                        seen = mark(seen, 5, name);
                        keyId = hex(p, name, 8);
                    }
                    case "ephemeral_key" -> {
                        seen = mark(seen, 6, name);
                        ephemeral = base64(p, name, 32);
                    }
                    case "nonce" -> {
                        seen = mark(seen, 7, name);
                        nonce = base64(p, name, 32);
                    }
                    case "timestamp" -> {
                        seen = mark(seen, 8, name);
                        timestamp = nonNegativeLong(p, name);
                    }
                    default -> throw unknown(name);
                }
            }
            endObject(p, seen, CLIENT_HELLO_FIELDS);
            return new ClientHello(version, suite, agentId, publicKey, keyId, ephemeral, nonce, timestamp);
        } catch (IOException e) {
            throw malformed(e);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException(e.getMessage());
        }
    }

    /** Encodes M2. */
    public static String encode(ServerHello h) {
        return write(g -> {
            g.writeStringField("type", ServerHello.TYPE);
            g.writeNumberField("version", h.version());
            g.writeStringField("suite", h.suite());
            g.writeStringField("backend_key", StrictBase64.encode(h.backendKey()));
            g.writeStringField("nonce", StrictBase64.encode(h.nonce()));
            g.writeStringField("sealed", StrictBase64.encode(h.sealed()));
        });
    }

    private static final String[] SERVER_HELLO_FIELDS = {"type", "version", "suite", "backend_key", "nonce", "sealed"};

    /** Decodes M2 (at most {@link Protocol#MAX_HANDSHAKE_FRAME_BYTES}). */
    public static ServerHello decodeServerHello(String json) throws WireFormatException {
        checkSize(json, Protocol.MAX_HANDSHAKE_FRAME_BYTES);
        try (JsonParser p = FACTORY.createParser(json)) {
            startObject(p);
            int seen = 0;
            int version = 0;
            String suite = null;
            byte[] backendKey = null;
            byte[] nonce = null;
            byte[] sealed = null;
            String name;
            while ((name = p.nextFieldName()) != null) {
                switch (name) {
                    case "type" -> {
                        seen = mark(seen, 0, name);
                        expectType(p, ServerHello.TYPE);
                    }
                    case "version" -> {
                        seen = mark(seen, 1, name);
                        version = smallInt(p, name);
                    }
                    case "suite" -> {
                        seen = mark(seen, 2, name);
                        suite = string(p, name);
                    }
                    case "backend_key" -> {
                        seen = mark(seen, 3, name);
                        backendKey = base64(p, name, 32);
                    }
                    case "nonce" -> {
                        seen = mark(seen, 4, name);
                        nonce = base64(p, name, 32);
                    }
                    case "sealed" -> {
                        seen = mark(seen, 5, name);
                        sealed = base64(p, name, ServerHello.SEALED_LENGTH);
                    }
                    default -> throw unknown(name);
                }
            }
            endObject(p, seen, SERVER_HELLO_FIELDS);
            return new ServerHello(version, suite, backendKey, nonce, sealed);
        } catch (IOException e) {
            throw malformed(e);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException(e.getMessage());
        }
    }

    /** Encodes M3. */
    public static String encode(ClientAuth a) {
        return write(g -> {
            g.writeStringField("type", ClientAuth.TYPE);
            g.writeStringField("sealed", StrictBase64.encode(a.sealed()));
        });
    }

    private static final String[] CLIENT_AUTH_FIELDS = {"type", "sealed"};

    /** Decodes M3 (at most {@link Protocol#MAX_HANDSHAKE_FRAME_BYTES}). */
    public static ClientAuth decodeClientAuth(String json) throws WireFormatException {
        checkSize(json, Protocol.MAX_HANDSHAKE_FRAME_BYTES);
        try (JsonParser p = FACTORY.createParser(json)) {
            startObject(p);
            int seen = 0;
            byte[] sealed = null;
            String name;
            while ((name = p.nextFieldName()) != null) {
                switch (name) {
                    case "type" -> {
                        seen = mark(seen, 0, name);
                        expectType(p, ClientAuth.TYPE);
                    }
                    case "sealed" -> {
                        seen = mark(seen, 1, name);
                        sealed = base64(p, name, ClientAuth.SEALED_LENGTH);
                    }
                    default -> throw unknown(name);
                }
            }
            endObject(p, seen, CLIENT_AUTH_FIELDS);
            return new ClientAuth(sealed);
        } catch (IOException e) {
            throw malformed(e);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException(e.getMessage());
        }
    }

    /** Encodes an {@link AuthenticationResponse} in its success or failure form. */
    public static String encode(AuthenticationResponse r) {
        return write(g -> {
            g.writeBooleanField("success", r.success());
            if (r.success()) {
                g.writeStringField("backend_key", StrictBase64.encode(r.backendKey()));
                g.writeStringField("session_token", r.sessionToken());
                g.writeNumberField("expires_at", r.expiresAt());
                g.writeStringField("session_id", r.sessionIdHex());
                g.writeNumberField("protocol_version", r.protocolVersion());
            } else {
                g.writeStringField("message", r.message());
            }
        });
    }

    private static final String[] SUCCESS_FIELDS =
            {"success", "backend_key", "session_token", "expires_at", "session_id", "protocol_version"};
    private static final String[] FAILURE_FIELDS = {"success", "message"};

    /** Decodes an {@link AuthenticationResponse}: exactly the success fields or exactly the failure fields. */
    public static AuthenticationResponse decodeAuthenticationResponse(String json) throws WireFormatException {
        checkSize(json, Protocol.MAX_HANDSHAKE_FRAME_BYTES);
        try (JsonParser p = FACTORY.createParser(json)) {
            startObject(p);
            int seen = 0;
            boolean success = false;
            byte[] backendKey = null;
            String token = null;
            long expiresAt = 0;
            byte[] sessionId = null;
            int version = 0;
            String message = null;
            String name;
            while ((name = p.nextFieldName()) != null) {
                switch (name) {
                    case "success" -> {
                        seen = mark(seen, 0, name);
                        success = bool(p, name);
                    }
                    case "backend_key" -> {
                        seen = mark(seen, 1, name);
                        backendKey = base64(p, name, 32);
                    }
                    case "session_token" -> {
                        seen = mark(seen, 2, name);
                        token = string(p, name);
                    }
                    case "expires_at" -> {
                        seen = mark(seen, 3, name);
                        expiresAt = nonNegativeLong(p, name);
                    }
                    case "session_id" -> {
                        seen = mark(seen, 4, name);
                        sessionId = hex(p, name, 16);
                    }
                    case "protocol_version" -> {
                        seen = mark(seen, 5, name);
                        version = smallInt(p, name);
                    }
                    case "message" -> {
                        seen = mark(seen, 6, name);
                        message = string(p, name);
                    }
                    default -> throw unknown(name);
                }
            }
            if ((seen & 1) == 0) {
                throw new WireFormatException("missing field 'success'");
            }
            if (success) {
                endObject(p, seen, SUCCESS_FIELDS);
            } else {
                // Bit 6 is "message": the failure form holds bits 0 and 6 only.
                if (seen != ((1 << 0) | (1 << 6))) {
                    throw new WireFormatException("a failed response holds exactly 'success' and 'message'");
                }
                endObject(p, seen, null);
            }
            return new AuthenticationResponse(success, backendKey, token, expiresAt, sessionId, version, message);
        } catch (IOException e) {
            throw malformed(e);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException(e.getMessage());
        }
    }

    // ------------------------------------------------------------------ key update body

    /** The body of a {@code key_update} record: {@code {"update_requested":true|false}}. */
    public static byte[] encodeKeyUpdate(boolean updateRequested) {
        return (updateRequested ? "{\"update_requested\":true}" : "{\"update_requested\":false}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static final String[] KEY_UPDATE_FIELDS = {"update_requested"};

    /** Decodes the body of a {@code key_update} record; returns {@code update_requested}. */
    public static boolean decodeKeyUpdate(byte[] body) throws WireFormatException {
        if (body.length > 256) {
            throw tooLarge(body.length, 256);
        }
        try (JsonParser p = FACTORY.createParser(body)) {
            startObject(p);
            int seen = 0;
            boolean requested = false;
            String name;
            while ((name = p.nextFieldName()) != null) {
                if (!name.equals("update_requested")) {
                    throw unknown(name);
                }
                seen = mark(seen, 0, name);
                requested = bool(p, name);
            }
            endObject(p, seen, KEY_UPDATE_FIELDS);
            return requested;
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    // ------------------------------------------------------------------ HTTP exchanges

    /**
     * Encodes the body of an HTTP exchange: {@code {"<nonceField>":"b64(nonce)","records":[…]}}, the
     * records in order, each as {@link #encode(SecureMessage)} writes it.
     *
     * @param nonceField {@link #AGENT_POST_NONCE} or {@link #GATEWAY_ANSWER_NONCE}
     */
    public static String encode(String nonceField, RecordBatch batch) {
        if (!nonceField.equals(AGENT_POST_NONCE) && !nonceField.equals(GATEWAY_ANSWER_NONCE)) {
            throw new IllegalArgumentException("nonce field must be 'nonce' or 'server_nonce'");
        }
        StringBuilder b = new StringBuilder(64 + 512 * batch.records().size());
        b.append("{\"").append(nonceField).append("\":\"").append(StrictBase64.encode(batch.nonce()))
                .append("\",\"records\":[");
        for (int i = 0; i < batch.records().size(); i++) {
            b.append(i == 0 ? "" : ",").append(encode(batch.records().get(i)));
        }
        return b.append("]}").toString();
    }

    /**
     * Decodes the body of an HTTP exchange strictly: exactly the fields {@code nonceField} (canonical
     * base64 of {@code nonceLength} bytes) and {@code records} (an array of envelopes, each decoded
     * as {@link #decodeSecureMessage(String, int)} does).
     *
     * @param maxRecords      refuse more records than this ({@link WireFormatException#isTooLarge()})
     * @param maxRecordBytes  refuse a record whose payload is longer than this many characters
     *                        ({@link WireFormatException#isTooLarge()})
     */
    public static RecordBatch decodeRecordBatch(byte[] utf8, String nonceField, int nonceLength, int maxRecords,
                                                int maxRecordBytes) throws WireFormatException {
        try (JsonParser p = BATCH_FACTORY.createParser(utf8)) {
            startObject(p);
            byte[] nonce = null;
            List<SecureMessage> records = null;
            int seen = 0;
            String name;
            while ((name = p.nextFieldName()) != null) {
                if (name.equals(nonceField)) {
                    seen = mark(seen, 0, name);
                    nonce = base64(p, name, nonceLength);
                } else if (name.equals("records")) {
                    seen = mark(seen, 1, name);
                    records = records(p, maxRecords, maxRecordBytes);
                } else {
                    throw unknown(name);
                }
            }
            endObject(p, seen, new String[] {nonceField, "records"});
            return new RecordBatch(nonce, records);
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    private static List<SecureMessage> records(JsonParser p, int maxRecords, int maxRecordBytes)
            throws IOException, WireFormatException {
        if (p.nextToken() != JsonToken.START_ARRAY) {
            throw new WireFormatException("field 'records' must be an array");
        }
        List<SecureMessage> out = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                throw new WireFormatException("field 'records' must hold JSON objects");
            }
            if (out.size() == maxRecords) {
                throw WireFormatException.tooMany("at most " + maxRecords + " records are allowed");
            }
            SecureMessage m = readSecureMessageFields(p);
            if (m.payload().length() > maxRecordBytes) {
                throw WireFormatException.tooLarge(m.payload().length(), maxRecordBytes);
            }
            out.add(m);
        }
        return out;
    }

    // ------------------------------------------------------------------ helpers

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Body body) {
        StringWriter w = new StringWriter(256);
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void checkSize(String json, int max) throws WireFormatException {
        if (json == null) {
            throw new WireFormatException("frame is null");
        }
        // UTF-8 needs at least one byte per char and at most three: count only when it matters.
        if (json.length() > max) {
            throw tooLarge(json.length(), max);
        }
        if ((long) json.length() * 3 > max) {
            int bytes = Identifiers.utf8Length(json);
            if (bytes > max) {
                throw tooLarge(bytes, max);
            }
        }
    }

    private static WireFormatException tooLarge(int size, int max) {
        return WireFormatException.tooLarge(size, max);
    }

    private static WireFormatException malformed(IOException e) {
        if (e instanceof JsonProcessingException jpe && jpe.getLocation() != null) {
            return new WireFormatException("malformed JSON at character " + jpe.getLocation().getCharOffset(), e);
        }
        return new WireFormatException("malformed JSON", e);
    }

    private static WireFormatException unknown(String name) {
        return new WireFormatException("unknown field '" + truncate(name) + "'");
    }

    private static String truncate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static void startObject(JsonParser p) throws IOException, WireFormatException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new WireFormatException("frame must be one JSON object");
        }
    }

    /** After the fields: the object must be closed, every required field present, nothing after. */
    private static void endObject(JsonParser p, int seen, String[] required) throws IOException, WireFormatException {
        requireFields(p, seen, required);
        if (p.nextToken() != null) {
            throw new WireFormatException("trailing data after the JSON object");
        }
    }

    /** After the fields: the object must be closed and every required field present. */
    private static void requireFields(JsonParser p, int seen, String[] required) throws WireFormatException {
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw new WireFormatException("malformed object");
        }
        if (required != null) {
            for (int i = 0; i < required.length; i++) {
                if ((seen & (1 << i)) == 0) {
                    throw new WireFormatException("missing field '" + required[i] + "'");
                }
            }
            if (Integer.bitCount(seen) != required.length) {
                throw new WireFormatException("fields not allowed in this form of the object");
            }
        }
    }

    private static int mark(int seen, int bit, String name) throws WireFormatException {
        if ((seen & (1 << bit)) != 0) {
            throw new WireFormatException("duplicate field '" + name + "'");
        }
        return seen | (1 << bit);
    }

    private static String string(JsonParser p, String name) throws IOException, WireFormatException {
        if (p.nextToken() != JsonToken.VALUE_STRING) {
            throw new WireFormatException("field '" + name + "' must be a string");
        }
        return p.getText();
    }

    private static boolean bool(JsonParser p, String name) throws IOException, WireFormatException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_TRUE) {
            return true;
        }
        if (t == JsonToken.VALUE_FALSE) {
            return false;
        }
        throw new WireFormatException("field '" + name + "' must be true or false");
    }

    private static long nonNegativeLong(JsonParser p, String name) throws IOException, WireFormatException {
        if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
            throw new WireFormatException("field '" + name + "' must be an integer");
        }
        JsonParser.NumberType nt = p.getNumberType();
        if (nt != JsonParser.NumberType.INT && nt != JsonParser.NumberType.LONG) {
            throw new WireFormatException("field '" + name + "' is out of range");
        }
        long v = p.getLongValue();
        if (v < 0) {
            throw new WireFormatException("field '" + name + "' must not be negative");
        }
        return v;
    }

    private static int smallInt(JsonParser p, String name) throws IOException, WireFormatException {
        long v = nonNegativeLong(p, name);
        if (v > 0xFF) {
            throw new WireFormatException("field '" + name + "' must be 0..255");
        }
        return (int) v;
    }

    private static void expectType(JsonParser p, String type) throws IOException, WireFormatException {
        if (!type.equals(string(p, "type"))) {
            throw new WireFormatException("field 'type' must be '" + type + "'");
        }
    }

    private static byte[] base64(JsonParser p, String name, int length) throws IOException, WireFormatException {
        String text = string(p, name);
        try {
            return StrictBase64.decode(text, length, "field '" + name + "'");
        } catch (IllegalArgumentException e) {
            throw new WireFormatException(e.getMessage());
        }
    }

    private static byte[] hex(JsonParser p, String name, int length) throws IOException, WireFormatException {
        String text = string(p, name);
        if (text.length() != 2 * length) {
            throw new WireFormatException("field '" + name + "' must be " + 2 * length + " lowercase hex characters");
        }
        try {
            return Hex.decode(text);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException("field '" + name + "': " + e.getMessage());
        }
    }
}
