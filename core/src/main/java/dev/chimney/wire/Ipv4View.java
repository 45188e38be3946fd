package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * IPv4 header (RFC 791 §3.1). {@link #check()} validates version, IHL and total length against the buffer, and then
 * limits the view to the total length (link-layer padding after it is ignored). Options are recognised and skipped:
 * {@link #hasOptions()}, {@link #headerLen()}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |R|D|M|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL > 5)                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv4View implements IpView {
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENT_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SRC_OFFSET = 12;
    public static final int DST_OFFSET = 16;
    /** Length of a header without options. */
    public static final int HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;
    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    /** The reserved "evil" bit (RFC 791 bit 0; RFC 3514 in jest): ignored on receive, never sent. */
    public static final int FLAG_RESERVED = 0x8000;

    private MemorySegment seg;
    private long offset;
    private long length;

    public Ipv4View wrap(final MemorySegment segment) {
        return wrap(segment, 0, segment.byteSize());
    }

    public Ipv4View wrap(final MemorySegment segment, final long offset, final long length) {
        this.seg = segment;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /**
     * Validates the header (RFC 791 §3.1; RFC 1122 §3.2.1.1-3.2.1.2 minus the checksum, see {@link #checksumOk()})
     * and limits the view to the total length.
     */
    public Ipv4View check() throws WireFormatException {
        Bytes.need(length, HEADER_LENGTH, "IPv4 header");
        if (version() != 4) {
            throw new WireFormatException(WireFormatException.Reason.BAD_VERSION, "IPv4: version " + version());
        }
        final int hl = headerLen();
        if (hl < HEADER_LENGTH) {
            throw new WireFormatException(WireFormatException.Reason.BAD_LENGTH, "IPv4: IHL " + (hl / 4) + " < 5");
        }
        Bytes.need(length, hl, "IPv4 header with options");
        final int total = totalLength();
        if (total < hl) {
            throw new WireFormatException(WireFormatException.Reason.BAD_LENGTH,
                    "IPv4: total length " + total + " < header length " + hl);
        }
        Bytes.need(length, total, "IPv4 total length");
        // RFC 791: offsets count 8-octet units; a fragment that would end beyond 65535 cannot be reassembled.
        if (fragmentOffsetBytes() + (total - hl) > 0xFFFF) {
            throw new WireFormatException(WireFormatException.Reason.MALFORMED,
                    "IPv4: fragment ends beyond 65535 bytes");
        }
        length = total;
        return this;
    }

    /** Whether the header checksum verifies (RFC 791 §3.1); skip it when the NIC already verified it. */
    public boolean checksumOk() {
        return Checksum.verify(seg, offset, headerLen(), 0);
    }

    /** Computes and writes the header checksum over {@link #headerLen()} bytes. */
    public Ipv4View fillChecksum() {
        // The version nibble makes the header non-zero, so the stale field can be subtracted instead of zeroed.
        Bytes.u16(seg, offset + CHECKSUM_OFFSET, Checksum.fieldValueIgnoringStale(seg, offset, headerLen(),
                offset + CHECKSUM_OFFSET, 0));
        return this;
    }

    @Override
    public MemorySegment segment() {
        return seg;
    }

    public long offset() {
        return offset;
    }

    /** The view length: the total length after {@link #check()}. */
    public long length() {
        return length;
    }

    @Override
    public int version() {
        return Bytes.u8(seg, offset + VERSION_IHL_OFFSET) >>> 4;
    }

    /** Header length in bytes (IHL × 4). */
    public int headerLen() {
        return (Bytes.u8(seg, offset + VERSION_IHL_OFFSET) & 0xF) * 4;
    }

    public boolean hasOptions() {
        return headerLen() > HEADER_LENGTH;
    }

    /** The whole type-of-service octet (DSCP and ECN). */
    public int tos() {
        return Bytes.u8(seg, offset + TOS_OFFSET);
    }

    /** Differentiated services code point (RFC 2474). */
    public int dscp() {
        return tos() >>> 2;
    }

    /** Explicit congestion notification bits (RFC 3168 §5). */
    public int ecn() {
        return tos() & 3;
    }

    public int totalLength() {
        return Bytes.u16(seg, offset + TOTAL_LENGTH_OFFSET);
    }

    public int identification() {
        return Bytes.u16(seg, offset + IDENT_OFFSET);
    }

    public boolean dontFragment() {
        return (Bytes.u16(seg, offset + FLAGS_FRAGMENT_OFFSET) & FLAG_DONT_FRAGMENT) != 0;
    }

    public boolean moreFragments() {
        return (Bytes.u16(seg, offset + FLAGS_FRAGMENT_OFFSET) & FLAG_MORE_FRAGMENTS) != 0;
    }

    /** Fragment offset in bytes (the field counts 8-octet units). */
    public int fragmentOffsetBytes() {
        return (Bytes.u16(seg, offset + FLAGS_FRAGMENT_OFFSET) & 0x1FFF) * 8;
    }

    /** True for any fragment, first (MF set) or later (offset non-zero); it needs reassembly. */
    public boolean isFragment() {
        return (Bytes.u16(seg, offset + FLAGS_FRAGMENT_OFFSET) & (FLAG_MORE_FRAGMENTS | 0x1FFF)) != 0;
    }

    public int ttl() {
        return Bytes.u8(seg, offset + TTL_OFFSET);
    }

    public int protocol() {
        return Bytes.u8(seg, offset + PROTOCOL_OFFSET);
    }

    public int checksum() {
        return Bytes.u16(seg, offset + CHECKSUM_OFFSET);
    }

    public int sourceBits() {
        return Bytes.u32(seg, offset + SRC_OFFSET);
    }

    public int destinationBits() {
        return Bytes.u32(seg, offset + DST_OFFSET);
    }

    @Override
    public Ipv4Address sourceAddress() {
        return new Ipv4Address(sourceBits());
    }

    @Override
    public Ipv4Address destinationAddress() {
        return new Ipv4Address(destinationBits());
    }

    @Override
    public int upperProtocol() {
        return protocol();
    }

    @Override
    public long upperOffset() {
        return offset + headerLen();
    }

    @Override
    public int upperLength() {
        return (int) length - headerLen();
    }

    /** The upper-layer payload as a slice (allocates; the hot path uses upperOffset/upperLength). */
    public MemorySegment payload() {
        return seg.asSlice(upperOffset(), upperLength());
    }

    @Override
    public int pseudoHeaderSum(final int protocol, final int upperLength) {
        return Checksum.pseudoHeaderV4(sourceBits(), destinationBits(), protocol, upperLength);
    }

    /** Writes version 4 and the IHL for a header of {@code headerLen} bytes (a multiple of 4, 20..60). */
    public Ipv4View versionAndHeaderLen(final int headerLen) {
        Bytes.u8(seg, offset + VERSION_IHL_OFFSET, 0x40 | (headerLen / 4));
        return this;
    }

    public Ipv4View tos(final int tos) {
        Bytes.u8(seg, offset + TOS_OFFSET, tos);
        return this;
    }

    public Ipv4View totalLength(final int totalLength) {
        Bytes.u16(seg, offset + TOTAL_LENGTH_OFFSET, totalLength);
        this.length = totalLength;
        return this;
    }

    public Ipv4View identification(final int ident) {
        Bytes.u16(seg, offset + IDENT_OFFSET, ident);
        return this;
    }

    /** Writes DF, MF and the fragment offset (in bytes, a multiple of 8). */
    public Ipv4View fragment(final boolean dontFragment, final boolean moreFragments, final int fragmentOffsetBytes) {
        Bytes.u16(seg, offset + FLAGS_FRAGMENT_OFFSET, (dontFragment ? FLAG_DONT_FRAGMENT : 0)
                | (moreFragments ? FLAG_MORE_FRAGMENTS : 0) | ((fragmentOffsetBytes >>> 3) & 0x1FFF));
        return this;
    }

    public Ipv4View ttl(final int ttl) {
        Bytes.u8(seg, offset + TTL_OFFSET, ttl);
        return this;
    }

    public Ipv4View protocol(final int protocol) {
        Bytes.u8(seg, offset + PROTOCOL_OFFSET, protocol);
        return this;
    }

    public Ipv4View checksum(final int checksum) {
        Bytes.u16(seg, offset + CHECKSUM_OFFSET, checksum);
        return this;
    }

    public Ipv4View sourceBits(final int src) {
        Bytes.u32(seg, offset + SRC_OFFSET, src);
        return this;
    }

    public Ipv4View destinationBits(final int dst) {
        Bytes.u32(seg, offset + DST_OFFSET, dst);
        return this;
    }
}
