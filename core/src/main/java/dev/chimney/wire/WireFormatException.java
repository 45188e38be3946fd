package dev.chimney.wire;

/**
 * The one documented parse error: the bytes are not a valid packet of the expected kind (truncated, bad length
 * field, bad checksum, impossible combination). The stack counts it as a drop; it never escapes an event loop.
 * It carries no stack trace, so throwing it on hostile input stays cheap.
 */
public final class WireFormatException extends Exception {
    /** Why the packet was rejected, usable as a drop-counter key. */
    public enum Reason { TRUNCATED, BAD_LENGTH, BAD_CHECKSUM, BAD_VERSION, UNSUPPORTED, MALFORMED }

    private final Reason reason;

    public WireFormatException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
