package io.aegis.protocol.testing;

import java.util.Random;

/**
 * Hostile variants of a well-formed input, for the decoders' fuzz properties: one to four edits of
 * a valid sample (a character replaced by one that matters to JSON or to UTF-16, a slice removed,
 * repeated or cut off, a JSON value put in place of another, deep nesting), chosen by a seed so
 * that every failing case can be replayed. Mutating valid samples reaches far deeper into a
 * decoder than random bytes, which almost all die at the first character.
 */
public final class Hostile {
    private static final String CHARS = "{}[]:,\"\\ \t\n0-+.eE1/u\u0000\u007f\u00ff\ud800\udc00\ufffd\u2028";
    private static final String[] VALUES = {
        "null", "true", "false", "0", "-0", "1", "-1", "1.5", "2e0", "1e309", "-1e309", "9223372036854775808",
        "-9223372036854775809", "123456789012345678901234567890", "\"\"", "\"x\"", "\"\\u0000\"", "\"\\ud800\"",
        "\"\\\"\"", "\"AAAA\"", "\"" + "A".repeat(4096) + "\"", "[]", "{}", "[1]", "[\"a\"]", "{\"a\":1}", "NaN",
        "\"=\"", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"",
    };

    private Hostile() {}

    /** {@code sample} after one to four edits chosen by {@code seed}. */
    public static String mutate(String sample, long seed) {
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder(sample);
        int edits = 1 + r.nextInt(4);
        for (int i = 0; i < edits; i++) {
            int pos = r.nextInt(b.length() + 1);
            switch (r.nextInt(8)) {
                case 0 -> {
                    if (pos < b.length()) {
                        b.setCharAt(pos, CHARS.charAt(r.nextInt(CHARS.length())));
                    }
                }
                case 1 -> b.delete(pos, Math.min(b.length(), pos + 1 + r.nextInt(16)));
                case 2 -> b.insert(pos, VALUES[r.nextInt(VALUES.length)]);
                case 3 -> {
                    int end = Math.min(b.length(), pos + 1 + r.nextInt(64));
                    b.insert(end, b.substring(pos, end));
                }
                case 4 -> b.setLength(pos);
                case 5 -> replaceValue(b, pos, VALUES[r.nextInt(VALUES.length)]);
                case 6 -> {
                    int depth = 1 + r.nextInt(r.nextBoolean() ? 8 : 4000);
                    b.insert(pos, (r.nextBoolean() ? "[" : "{\"a\":").repeat(depth));
                }
                default -> {
                    if (pos < b.length()) {
                        b.setCharAt(pos, (char) r.nextInt(0x10000));
                    }
                }
            }
        }
        return b.toString();
    }

    /** The JSON value after the first {@code :} at or after {@code from}, replaced by {@code value}. */
    private static void replaceValue(StringBuilder b, int from, String value) {
        int colon = b.indexOf(":", from);
        if (colon < 0) {
            return;
        }
        int end = colon + 1;
        int depth = 0;
        boolean inString = false;
        for (; end < b.length(); end++) {
            char c = b.charAt(end);
            if (inString) {
                if (c == '\\') {
                    end++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (depth-- == 0) {
                    break;
                }
            } else if (c == ',' && depth == 0) {
                break;
            }
        }
        b.replace(colon + 1, Math.min(end, b.length()), value);
    }
}
