package io.aegis.protocol;

import java.util.Map;

/**
 * Syntax of the names that travel in the clear or in associated data. Each {@code xxxError}
 * method returns {@code null} for a valid value, else a sentence naming the rule broken; each
 * {@code requireXxx} method throws {@link IllegalArgumentException} with that sentence.
 *
 * <table>
 * <caption>Rules</caption>
 * <tr><th>what</th><th>rule</th></tr>
 * <tr><td>agent id</td><td>{@code ^[A-Za-z0-9._:-]{1,255}$}</td></tr>
 * <tr><td>channel</td><td>{@code ^[a-z0-9][a-z0-9._/-]{0,127}$}</td></tr>
 * <tr><td>message id</td><td>{@code ^[A-Za-z0-9._:-]{1,128}$}</td></tr>
 * <tr><td>message type</td><td>{@code ^[a-z][a-z0-9_]{0,31}$}</td></tr>
 * <tr><td>header key</td><td>{@code ^[a-z0-9][a-z0-9-]{0,63}$}</td></tr>
 * <tr><td>header value</td><td>well-formed Unicode, at most 1024 UTF-8 bytes</td></tr>
 * <tr><td>headers</td><td>at most 32 entries</td></tr>
 * </table>
 *
 * <p>Stateless and thread-safe.
 */
public final class Identifiers {

    /** Longest agent id, in characters. */
    public static final int MAX_AGENT_ID = 255;
    /** Longest channel name, in characters. */
    public static final int MAX_CHANNEL = 128;
    /** Longest message id, in characters. */
    public static final int MAX_MESSAGE_ID = 128;
    /** Longest message type, in characters. */
    public static final int MAX_MESSAGE_TYPE = 32;
    /** Longest header key, in characters. */
    public static final int MAX_HEADER_KEY = 64;
    /** Longest header value, in UTF-8 bytes. */
    public static final int MAX_HEADER_VALUE_BYTES = 1024;
    /** Most headers on one message. */
    public static final int MAX_HEADERS = 32;

    private Identifiers() {
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean isLowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    private static String idLike(String what, String s, int max) {
        if (s == null) {
            return what + " is missing";
        }
        if (s.isEmpty() || s.length() > max) {
            return what + " must be 1.." + max + " characters, was " + s.length();
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isAlnum(c) || c == '.' || c == '_' || c == ':' || c == '-')) {
                return what + " may hold only [A-Za-z0-9._:-]; bad character at index " + i;
            }
        }
        return null;
    }

    /** Checks an agent id: {@code ^[A-Za-z0-9._:-]{1,255}$}. */
    public static String agentIdError(String agentId) {
        return idLike("agent id", agentId, MAX_AGENT_ID);
    }

    /** Checks a message id: {@code ^[A-Za-z0-9._:-]{1,128}$}. */
    public static String messageIdError(String id) {
        return idLike("message id", id, MAX_MESSAGE_ID);
    }

    /** Checks a channel name: {@code ^[a-z0-9][a-z0-9._/-]{0,127}$}. */
    public static String channelError(String channel) {
        if (channel == null) {
            return "channel is missing";
        }
        if (channel.isEmpty() || channel.length() > MAX_CHANNEL) {
            return "channel must be 1.." + MAX_CHANNEL + " characters, was " + channel.length();
        }
        if (!isLowerAlnum(channel.charAt(0))) {
            return "channel must start with [a-z0-9]";
        }
        for (int i = 1; i < channel.length(); i++) {
            char c = channel.charAt(i);
            if (!(isLowerAlnum(c) || c == '.' || c == '_' || c == '/' || c == '-')) {
                return "channel may hold only [a-z0-9._/-]; bad character at index " + i;
            }
        }
        return null;
    }

    /** Checks a message type: {@code ^[a-z][a-z0-9_]{0,31}$}. */
    public static String messageTypeError(String type) {
        if (type == null) {
            return "message type is missing";
        }
        if (type.isEmpty() || type.length() > MAX_MESSAGE_TYPE) {
            return "message type must be 1.." + MAX_MESSAGE_TYPE + " characters, was " + type.length();
        }
        if (!(type.charAt(0) >= 'a' && type.charAt(0) <= 'z')) {
            return "message type must start with [a-z]";
        }
        for (int i = 1; i < type.length(); i++) {
            char c = type.charAt(i);
            if (!(isLowerAlnum(c) || c == '_')) {
                return "message type may hold only [a-z0-9_]; bad character at index " + i;
            }
        }
        return null;
    }

    /** Checks a header key: {@code ^[a-z0-9][a-z0-9-]{0,63}$}. */
    public static String headerKeyError(String key) {
        if (key == null) {
            return "header key is missing";
        }
        if (key.isEmpty() || key.length() > MAX_HEADER_KEY) {
            return "header key must be 1.." + MAX_HEADER_KEY + " characters, was " + key.length();
        }
        if (!isLowerAlnum(key.charAt(0))) {
            return "header key must start with [a-z0-9]";
        }
        for (int i = 1; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!(isLowerAlnum(c) || c == '-')) {
                return "header key may hold only [a-z0-9-]; bad character at index " + i;
            }
        }
        return null;
    }

    /** Checks a header value: well-formed UTF-16 (no lone surrogate), at most 1024 UTF-8 bytes. */
    public static String headerValueError(String value) {
        if (value == null) {
            return "header value is missing";
        }
        int bytes = utf8Length(value);
        if (bytes < 0) {
            return "header value holds an unpaired surrogate (not encodable as UTF-8)";
        }
        if (bytes > MAX_HEADER_VALUE_BYTES) {
            return "header value must be at most " + MAX_HEADER_VALUE_BYTES + " UTF-8 bytes, was " + bytes;
        }
        return null;
    }

    /** Checks a header map: at most 32 entries, each key and value valid. */
    public static String headersError(Map<String, String> headers) {
        if (headers == null) {
            return "headers are missing";
        }
        if (headers.size() > MAX_HEADERS) {
            return "at most " + MAX_HEADERS + " headers are allowed, got " + headers.size();
        }
        for (Map.Entry<String, String> e : headers.entrySet()) {
            String err = headerKeyError(e.getKey());
            if (err == null) {
                err = headerValueError(e.getValue());
            }
            if (err != null) {
                return err;
            }
        }
        return null;
    }

    /** Returns the agent id, or throws {@link IllegalArgumentException} naming the rule broken. */
    public static String requireAgentId(String agentId) {
        return require(agentId, agentIdError(agentId));
    }

    /** Returns the channel, or throws {@link IllegalArgumentException}. */
    public static String requireChannel(String channel) {
        return require(channel, channelError(channel));
    }

    /** Returns the message id, or throws {@link IllegalArgumentException}. */
    public static String requireMessageId(String id) {
        return require(id, messageIdError(id));
    }

    /** Returns the message type, or throws {@link IllegalArgumentException}. */
    public static String requireMessageType(String type) {
        return require(type, messageTypeError(type));
    }

    /** Returns the headers, or throws {@link IllegalArgumentException}. */
    public static Map<String, String> requireHeaders(Map<String, String> headers) {
        String err = headersError(headers);
        if (err != null) {
            throw new IllegalArgumentException(err);
        }
        return headers;
    }

    private static String require(String value, String error) {
        if (error != null) {
            throw new IllegalArgumentException(error);
        }
        return value;
    }

    /**
     * Number of bytes of the UTF-8 encoding of {@code s}, or -1 if it holds an unpaired
     * surrogate.
     */
    public static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    n += 4;
                    i++;
                } else {
                    return -1;
                }
            } else if (Character.isLowSurrogate(c)) {
                return -1;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
