package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * ICMPv4 message (RFC 792). The 4 bytes after the checksum depend on the type: echo identifier and sequence; for
 * "fragmentation needed" the next-hop MTU in the low 16 bits (RFC 1191 §4). Error messages carry the invoking
 * packet's IP header and at least 8 bytes of its payload from {@link #dataOffset()}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Identifier / unused          | Sequence / Next-Hop MTU       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Echo data, or invoking IP header + 64 bits of its data    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Icmpv4View {
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int IDENT_OFFSET = 4;
    public static final int SEQ_OFFSET = 6;
    public static final int NEXT_HOP_MTU_OFFSET = 6;
    public static final int DATA_OFFSET = 8;
    public static final int HEADER_LENGTH = 8;

    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DEST_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;
    /** Destination unreachable code 4: fragmentation needed and DF set (RFC 792, RFC 1191). */
    public static final int CODE_FRAGMENTATION_NEEDED = 4;

    private MemorySegment seg;
    private long offset;
    private long length;

    public Icmpv4View wrap(final MemorySegment segment) {
        return wrap(segment, 0, segment.byteSize());
    }

    public Icmpv4View wrap(final MemorySegment segment, final long offset, final long length) {
        this.seg = segment;
        this.offset = offset;
        this.length = length;
        return this;
    }

    public Icmpv4View check() throws WireFormatException {
        Bytes.need(length, HEADER_LENGTH, "ICMPv4 header");
        return this;
    }

    /** The checksum covers the whole ICMP message (RFC 792). */
    public boolean checksumOk() {
        return Checksum.verify(seg, offset, length, 0);
    }

    public Icmpv4View fillChecksum() {
        Bytes.u16(seg, offset + CHECKSUM_OFFSET, 0);
        Bytes.u16(seg, offset + CHECKSUM_OFFSET, Checksum.compute(seg, offset, length));
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

    public int type() {
        return Bytes.u8(seg, offset + TYPE_OFFSET);
    }

    public int code() {
        return Bytes.u8(seg, offset + CODE_OFFSET);
    }

    public int checksum() {
        return Bytes.u16(seg, offset + CHECKSUM_OFFSET);
    }

    public int identifier() {
        return Bytes.u16(seg, offset + IDENT_OFFSET);
    }

    public int sequence() {
        return Bytes.u16(seg, offset + SEQ_OFFSET);
    }

    /** Next-hop MTU of a "fragmentation needed" message; 0 from pre-RFC 1191 routers. */
    public int nextHopMtu() {
        return Bytes.u16(seg, offset + NEXT_HOP_MTU_OFFSET);
    }

    /** Offset of the echo data or of the invoking packet (its IP header) in error messages. */
    public long dataOffset() {
        return offset + DATA_OFFSET;
    }

    public int dataLength() {
        return (int) length - DATA_OFFSET;
    }

    /** Echo data or the invoking packet as a slice (allocates). */
    public MemorySegment data() {
        return seg.asSlice(dataOffset(), dataLength());
    }

    public Icmpv4View type(final int type) {
        Bytes.u8(seg, offset + TYPE_OFFSET, type);
        return this;
    }

    public Icmpv4View code(final int code) {
        Bytes.u8(seg, offset + CODE_OFFSET, code);
        return this;
    }

    /** Writes the 32-bit rest-of-header word (identifier+sequence, or unused+next-hop MTU, or zero). */
    public Icmpv4View restOfHeader(final int word) {
        Bytes.u32(seg, offset + IDENT_OFFSET, word);
        return this;
    }
}
