package io.aegis.protocol;

/**
 * A frame is not a well-formed wire object: too large, not JSON, a duplicate, missing, unknown
 * or wrongly typed field, trailing bytes, or a value that breaks its syntax rule. The message
 * names the field and the rule; it never echoes the input.
 */
public final class WireFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean tooLarge;

    /** Creates an exception with a message naming the field and rule. */
    public WireFormatException(String message) {
        this(message, null, false);
    }

    /** Creates an exception with a cause (kept for the server log). */
    public WireFormatException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private WireFormatException(String message, Throwable cause, boolean tooLarge) {
        super(message, cause);
        this.tooLarge = tooLarge;
    }

    /** An input longer than the caller's limit (close code 1009 rather than 4006). */
    public static WireFormatException tooLarge(long size, long max) {
        return new WireFormatException("frame of " + size + " bytes exceeds the limit of " + max + " bytes", null, true);
    }

    /** Too many items of a list (records of an HTTP exchange), a size refusal like {@link #tooLarge}. */
    public static WireFormatException tooMany(String message) {
        return new WireFormatException(message, null, true);
    }

    /** True if the input was refused for its size (or number of items) alone. */
    public boolean isTooLarge() {
        return tooLarge;
    }
}
