package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * ICMPv6 message (RFC 4443 §2.1) including the NDP message bodies (RFC 4861 §4). Wrap it over the IPv6 upper-layer
 * message; the checksum covers the IPv6 pseudo-header with next header 58 (RFC 4443 §2.3).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | echo: Identifier | Sequence; packet too big: MTU; param: ptr  |
 * | RA: CurHopLimit|M|O| Router Lifetime; NA: |R|S|O| reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | body: invoking packet / echo data / RA timers / NS,NA,redirect |
 * | target address (16) [redirect: destination (16)] / options ... |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Icmpv6View {
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int IDENT_OFFSET = 4;
    public static final int SEQ_OFFSET = 6;
    public static final int MTU_OFFSET = 4;
    public static final int POINTER_OFFSET = 4;
    public static final int DATA_OFFSET = 8;
    public static final int RA_HOP_LIMIT_OFFSET = 4;
    public static final int RA_FLAGS_OFFSET = 5;
    public static final int RA_ROUTER_LIFETIME_OFFSET = 6;
    public static final int RA_REACHABLE_TIME_OFFSET = 8;
    public static final int RA_RETRANS_TIMER_OFFSET = 12;
    public static final int NA_FLAGS_OFFSET = 4;
    public static final int TARGET_OFFSET = 8;
    public static final int REDIRECT_DESTINATION_OFFSET = 24;
    public static final int HEADER_LENGTH = 8;

    public static final int TYPE_DEST_UNREACHABLE = 1;
    public static final int TYPE_PACKET_TOO_BIG = 2;
    public static final int TYPE_TIME_EXCEEDED = 3;
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    public static final int TYPE_ECHO_REQUEST = 128;
    public static final int TYPE_ECHO_REPLY = 129;
    public static final int TYPE_ROUTER_SOLICITATION = 133;
    public static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    public static final int TYPE_REDIRECT = 137;

    public static final int RA_FLAG_MANAGED = 0x80;
    public static final int RA_FLAG_OTHER = 0x40;
    public static final int NA_FLAG_ROUTER = 0x80;
    public static final int NA_FLAG_SOLICITED = 0x40;
    public static final int NA_FLAG_OVERRIDE = 0x20;

    private MemorySegment seg;
    private long offset;
    private long length;

    public Icmpv6View wrap(final MemorySegment segment) {
        return wrap(segment, 0, segment.byteSize());
    }

    public Icmpv6View wrap(final MemorySegment segment, final long offset, final long length) {
        this.seg = segment;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Validates the header and the fixed body length of NDP messages (RFC 4861 §6.1.1, §7.1.1, §8.1). */
    public Icmpv6View check() throws WireFormatException {
        Bytes.need(length, HEADER_LENGTH, "ICMPv6 header");
        final int t = type();
        if (t >= TYPE_ROUTER_SOLICITATION && t <= TYPE_REDIRECT) {
            Bytes.need(length, ndpOptionsRelOffset(t), "NDP message");
            if (code() != 0) {
                throw new WireFormatException(WireFormatException.Reason.MALFORMED, "NDP: ICMP code must be 0");
            }
        }
        return this;
    }

    private static int ndpOptionsRelOffset(final int type) {
        return switch (type) {
            case TYPE_ROUTER_SOLICITATION -> 8;
            case TYPE_ROUTER_ADVERTISEMENT -> 16;
            case TYPE_NEIGHBOR_SOLICITATION, TYPE_NEIGHBOR_ADVERTISEMENT -> 24;
            case TYPE_REDIRECT -> 40;
            default -> HEADER_LENGTH;
        };
    }

    /** Verifies with the pseudo-header sum from {@link IpView#pseudoHeaderSum}(58, length). */
    public boolean checksumOk(final int pseudoHeaderSum) {
        return Checksum.verify(seg, offset, length, pseudoHeaderSum);
    }

    public Icmpv6View fillChecksum(final int pseudoHeaderSum) {
        Bytes.u16(seg, offset + CHECKSUM_OFFSET, Checksum.fieldValueIgnoringStale(seg, offset, length,
                offset + CHECKSUM_OFFSET, pseudoHeaderSum));
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

    /** Packet-too-big MTU (RFC 4443 §3.2). */
    public long mtu() {
        return Bytes.u32(seg, offset + MTU_OFFSET) & 0xFFFF_FFFFL;
    }

    /** Parameter-problem pointer (RFC 4443 §3.4). */
    public long pointer() {
        return Bytes.u32(seg, offset + POINTER_OFFSET) & 0xFFFF_FFFFL;
    }

    /** Offset of echo data or of the invoking packet in error messages. */
    public long dataOffset() {
        return offset + DATA_OFFSET;
    }

    public int dataLength() {
        return (int) length - DATA_OFFSET;
    }

    public MemorySegment data() {
        return seg.asSlice(dataOffset(), dataLength());
    }

    public int raHopLimit() {
        return Bytes.u8(seg, offset + RA_HOP_LIMIT_OFFSET);
    }

    public int raFlags() {
        return Bytes.u8(seg, offset + RA_FLAGS_OFFSET);
    }

    public int raRouterLifetimeSeconds() {
        return Bytes.u16(seg, offset + RA_ROUTER_LIFETIME_OFFSET);
    }

    public long raReachableTimeMs() {
        return Bytes.u32(seg, offset + RA_REACHABLE_TIME_OFFSET) & 0xFFFF_FFFFL;
    }

    public long raRetransTimerMs() {
        return Bytes.u32(seg, offset + RA_RETRANS_TIMER_OFFSET) & 0xFFFF_FFFFL;
    }

    public int naFlags() {
        return Bytes.u8(seg, offset + NA_FLAGS_OFFSET);
    }

    /** Target address of NS, NA and redirect. */
    public Ipv6Address target() {
        return Bytes.ipv6(seg, offset + TARGET_OFFSET);
    }

    /** Destination address of a redirect. */
    public Ipv6Address redirectDestination() {
        return Bytes.ipv6(seg, offset + REDIRECT_DESTINATION_OFFSET);
    }

    /** Start of the NDP options of this message type. */
    public long ndpOptionsOffset() {
        return offset + ndpOptionsRelOffset(type());
    }

    public long end() {
        return offset + length;
    }

    public Icmpv6View type(final int type) {
        Bytes.u8(seg, offset + TYPE_OFFSET, type);
        return this;
    }

    public Icmpv6View code(final int code) {
        Bytes.u8(seg, offset + CODE_OFFSET, code);
        return this;
    }

    /** Writes the 32-bit word after the checksum (identifier+sequence, MTU, pointer, RA/NA flags, or reserved 0). */
    public Icmpv6View word1(final int word) {
        Bytes.u32(seg, offset + 4, word);
        return this;
    }
}
