package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * UDP header (RFC 768). {@link #check()} validates the length field against the buffer and limits the view to it.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Length             |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class UdpView {
    public static final int SRC_PORT_OFFSET = 0;
    public static final int DST_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    private MemorySegment seg;
    private long offset;
    private long length;

    public UdpView wrap(final MemorySegment segment) {
        return wrap(segment, 0, segment.byteSize());
    }

    public UdpView wrap(final MemorySegment segment, final long offset, final long length) {
        this.seg = segment;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Validates the header and length field (RFC 768: length includes the header). */
    public UdpView check() throws WireFormatException {
        Bytes.need(length, HEADER_LENGTH, "UDP header");
        final int len = lengthField();
        if (len < HEADER_LENGTH) {
            throw new WireFormatException(WireFormatException.Reason.BAD_LENGTH, "UDP: length field " + len + " < 8");
        }
        Bytes.need(length, len, "UDP length field");
        length = len;
        return this;
    }

    /**
     * Whether the checksum verifies against the pseudo-header sum. A zero checksum means "none" over IPv4 (RFC 768)
     * but is invalid over IPv6 (RFC 8200 §8.1).
     */
    public boolean checksumOk(final int pseudoHeaderSum, final boolean ipv6) {
        if (checksum() == 0) {
            return !ipv6;
        }
        return Checksum.verify(seg, offset, length, pseudoHeaderSum);
    }

    /** Computes the checksum over the header and payload in place; a computed 0 is sent as 0xFFFF (RFC 768). */
    public UdpView fillChecksum(final int pseudoHeaderSum) {
        final int c = Checksum.fieldValueIgnoringStale(seg, offset, length, offset + CHECKSUM_OFFSET,
                pseudoHeaderSum);
        Bytes.u16(seg, offset + CHECKSUM_OFFSET, c == 0 ? 0xFFFF : c);
        return this;
    }

    public MemorySegment segment() {
        return seg;
    }

    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }

    public int srcPort() {
        return Bytes.u16(seg, offset + SRC_PORT_OFFSET);
    }

    public int dstPort() {
        return Bytes.u16(seg, offset + DST_PORT_OFFSET);
    }

    public int lengthField() {
        return Bytes.u16(seg, offset + LENGTH_OFFSET);
    }

    public int checksum() {
        return Bytes.u16(seg, offset + CHECKSUM_OFFSET);
    }

    public long payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength() {
        return (int) length - HEADER_LENGTH;
    }

    public MemorySegment payload() {
        return seg.asSlice(payloadOffset(), payloadLength());
    }

    public UdpView srcPort(final int port) {
        Bytes.u16(seg, offset + SRC_PORT_OFFSET, port);
        return this;
    }

    public UdpView dstPort(final int port) {
        Bytes.u16(seg, offset + DST_PORT_OFFSET, port);
        return this;
    }

    /** Writes the length field and limits the view to it. */
    public UdpView lengthField(final int len) {
        Bytes.u16(seg, offset + LENGTH_OFFSET, len);
        this.length = len;
        return this;
    }

    public UdpView checksum(final int checksum) {
        Bytes.u16(seg, offset + CHECKSUM_OFFSET, checksum);
        return this;
    }
}
