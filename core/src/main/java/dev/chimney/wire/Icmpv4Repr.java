package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * The ICMPv4 messages the stack handles (RFC 792), as values. Data (echo payload, or the invoking packet of an error)
 * stays in the buffer: {@link #emit} expects {@link #dataLength()} bytes already in place after the 8-byte header
 * and checksums them.
 */
public sealed interface Icmpv4Repr {

    /** Bytes after the 8-byte header. */
    int dataLength();

    record EchoRequest(int identifier, int sequence, int dataLength) implements Icmpv4Repr {
        public EchoRequest {
            checkU16(identifier, sequence, dataLength);
        }
    }

    record EchoReply(int identifier, int sequence, int dataLength) implements Icmpv4Repr {
        public EchoReply {
            checkU16(identifier, sequence, dataLength);
        }
    }

    /** Destination unreachable; {@code nextHopMtu} is only meaningful with code 4 (RFC 1191 §4), else 0. */
    record DestinationUnreachable(int code, int nextHopMtu, int dataLength) implements Icmpv4Repr {
        public DestinationUnreachable {
            checkU16(code, nextHopMtu, dataLength);
            if (code > 255) {
                throw new IllegalArgumentException("ICMP code is 0..255");
            }
        }
    }

    /** Time exceeded: code 0 TTL exceeded in transit, 1 fragment reassembly time exceeded. */
    record TimeExceeded(int code, int dataLength) implements Icmpv4Repr {
        public TimeExceeded {
            checkU16(code, 0, dataLength);
            if (code > 255) {
                throw new IllegalArgumentException("ICMP code is 0..255");
            }
        }
    }

    private static void checkU16(final int a, final int b, final int dataLength) {
        if (a < 0 || a > 0xFFFF || b < 0 || b > 0xFFFF || dataLength < 0 || dataLength > 0xFFFF) {
            throw new IllegalArgumentException("ICMP fields are 16-bit unsigned, data length 0..65535");
        }
    }

    /** Parses and verifies the checksum; types other than the four above are UNSUPPORTED. */
    static Icmpv4Repr parse(final Icmpv4View v) throws WireFormatException {
        return parse(v, true);
    }

    static Icmpv4Repr parse(final Icmpv4View v, final boolean verifyChecksum) throws WireFormatException {
        v.check();
        if (verifyChecksum && !v.checksumOk()) {
            throw new WireFormatException(WireFormatException.Reason.BAD_CHECKSUM, "ICMPv4: bad checksum");
        }
        return switch (v.type()) {
            case Icmpv4View.TYPE_ECHO_REQUEST -> new EchoRequest(v.identifier(), v.sequence(), v.dataLength());
            case Icmpv4View.TYPE_ECHO_REPLY -> new EchoReply(v.identifier(), v.sequence(), v.dataLength());
            case Icmpv4View.TYPE_DEST_UNREACHABLE -> new DestinationUnreachable(v.code(),
                    v.code() == Icmpv4View.CODE_FRAGMENTATION_NEEDED ? v.nextHopMtu() : 0, v.dataLength());
            case Icmpv4View.TYPE_TIME_EXCEEDED -> new TimeExceeded(v.code(), v.dataLength());
            default -> throw new WireFormatException(WireFormatException.Reason.UNSUPPORTED,
                    "ICMPv4: type " + v.type() + " not handled");
        };
    }

    default int bufferLen() {
        return Icmpv4View.HEADER_LENGTH + dataLength();
    }

    /** Writes the header and the checksum over header and the data already in place. */
    default void emit(final MemorySegment seg, final long offset) {
        final Icmpv4View v = new Icmpv4View().wrap(seg, offset, bufferLen());
        switch (this) {
            case EchoRequest e -> v.type(Icmpv4View.TYPE_ECHO_REQUEST).code(0)
                    .restOfHeader(e.identifier() << 16 | e.sequence());
            case EchoReply e -> v.type(Icmpv4View.TYPE_ECHO_REPLY).code(0)
                    .restOfHeader(e.identifier() << 16 | e.sequence());
            case DestinationUnreachable d -> v.type(Icmpv4View.TYPE_DEST_UNREACHABLE).code(d.code())
                    .restOfHeader(d.nextHopMtu());
            case TimeExceeded t -> v.type(Icmpv4View.TYPE_TIME_EXCEEDED).code(t.code()).restOfHeader(0);
        }
        v.fillChecksum();
    }
}
