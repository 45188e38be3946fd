package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * IPv6 header (RFC 8200 §3) and its extension header chain. {@link #check()} validates the fixed header and payload
 * length, limits the view to 40 + payload length, and walks the extension headers (hop-by-hop, routing, destination
 * options, fragment; RFC 8200 §4) to find the upper-layer protocol and its offset. The walk stops at "no next
 * header" (59), at AH/ESP (treated as the upper layer) and after a fragment header of a non-first fragment.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Source Address (128 bits)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Destination Address (128 bits)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Fragment header (RFC 8200 §4.5):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv6View implements IpView {
    public static final int VERSION_TC_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SRC_OFFSET = 8;
    public static final int DST_OFFSET = 24;
    public static final int HEADER_LENGTH = 40;
    public static final int FRAGMENT_HEADER_LENGTH = 8;

    private MemorySegment seg;
    private long offset;
    private long length;
    private int upperProtocol;
    private int upperRelOffset;
    private boolean hasFragmentHeader;
    private int fragmentField;
    private int fragmentId;
    private int fragmentRelOffset;

    public Ipv6View wrap(final MemorySegment segment) {
        return wrap(segment, 0, segment.byteSize());
    }

    public Ipv6View wrap(final MemorySegment segment, final long offset, final long length) {
        this.seg = segment;
        this.offset = offset;
        this.length = length;
        this.upperProtocol = IpProtocol.IPV6_NO_NEXT;
        this.upperRelOffset = HEADER_LENGTH;
        this.hasFragmentHeader = false;
        this.fragmentField = 0;
        this.fragmentId = 0;
        return this;
    }

    /** Validates the fixed header and walks the extension headers (RFC 8200 §4.1 order rules). */
    public Ipv6View check() throws WireFormatException {
        Bytes.need(length, HEADER_LENGTH, "IPv6 header");
        if (version() != 6) {
            throw new WireFormatException(WireFormatException.Reason.BAD_VERSION, "IPv6: version " + version());
        }
        final int total = HEADER_LENGTH + payloadLength();
        // A zero payload length with hop-by-hop means a jumbogram (RFC 2675): not supported, caught by the walk below
        // only as an empty payload, so reject explicitly.
        if (payloadLength() == 0 && nextHeader() == IpProtocol.HOP_BY_HOP) {
            throw new WireFormatException(WireFormatException.Reason.UNSUPPORTED, "IPv6: jumbograms (RFC 2675)");
        }
        Bytes.need(length, total, "IPv6 payload length");
        length = total;
        walkExtensionHeaders();
        return this;
    }

    private void walkExtensionHeaders() throws WireFormatException {
        hasFragmentHeader = false;
        fragmentField = 0;
        fragmentId = 0;
        fragmentRelOffset = -1;
        int next = nextHeader();
        int rel = HEADER_LENGTH;
        boolean first = true;
        while (true) {
            switch (next) {
                case IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_ROUTING, IpProtocol.IPV6_DEST_OPTS -> {
                    if (next == IpProtocol.HOP_BY_HOP && !first) {
                        // RFC 8200 §4.1: hop-by-hop options may appear only immediately after the IPv6 header.
                        throw new WireFormatException(WireFormatException.Reason.MALFORMED,
                                "IPv6: hop-by-hop header not first");
                    }
                    Bytes.need(length - rel, 2, "IPv6 extension header");
                    final int extLen = (Bytes.u8(seg, offset + rel + 1) + 1) * 8;
                    Bytes.need(length - rel, extLen, "IPv6 extension header");
                    next = Bytes.u8(seg, offset + rel);
                    rel += extLen;
                }
                case IpProtocol.IPV6_FRAGMENT -> {
                    Bytes.need(length - rel, FRAGMENT_HEADER_LENGTH, "IPv6 fragment header");
                    if (hasFragmentHeader) {
                        throw new WireFormatException(WireFormatException.Reason.MALFORMED,
                                "IPv6: two fragment headers");
                    }
                    hasFragmentHeader = true;
                    fragmentRelOffset = rel;
                    fragmentField = Bytes.u16(seg, offset + rel + 2);
                    fragmentId = Bytes.u32(seg, offset + rel + 4);
                    next = Bytes.u8(seg, offset + rel);
                    rel += FRAGMENT_HEADER_LENGTH;
                    if (fragmentOffsetBytes() != 0) {
                        // A later fragment carries data, not headers: the walk ends here (RFC 8200 §4.5).
                        setUpper(next, rel);
                        return;
                    }
                }
                default -> {
                    // Upper layer, "no next header" (59), AH/ESP or an unknown header: the walk ends.
                    setUpper(next, rel);
                    return;
                }
            }
            first = false;
        }
    }

    private void setUpper(final int protocol, final int rel) {
        upperProtocol = protocol;
        upperRelOffset = rel;
    }

    @Override
    public MemorySegment segment() {
        return seg;
    }

    public long offset() {
        return offset;
    }

    /** The view length: 40 + payload length after {@link #check()}. */
    public long length() {
        return length;
    }

    @Override
    public int version() {
        return Bytes.u8(seg, offset) >>> 4;
    }

    public int trafficClass() {
        return (Bytes.u32(seg, offset + VERSION_TC_FLOW_OFFSET) >>> 20) & 0xFF;
    }

    public int dscp() {
        return trafficClass() >>> 2;
    }

    public int ecn() {
        return trafficClass() & 3;
    }

    public int flowLabel() {
        return Bytes.u32(seg, offset + VERSION_TC_FLOW_OFFSET) & 0xF_FFFF;
    }

    public int payloadLength() {
        return Bytes.u16(seg, offset + PAYLOAD_LENGTH_OFFSET);
    }

    /** The next header field of the fixed header (the first extension header or the upper layer). */
    public int nextHeader() {
        return Bytes.u8(seg, offset + NEXT_HEADER_OFFSET);
    }

    public int hopLimit() {
        return Bytes.u8(seg, offset + HOP_LIMIT_OFFSET);
    }

    public long sourceHi() {
        return Bytes.u64(seg, offset + SRC_OFFSET);
    }

    public long sourceLo() {
        return Bytes.u64(seg, offset + SRC_OFFSET + 8);
    }

    public long destinationHi() {
        return Bytes.u64(seg, offset + DST_OFFSET);
    }

    public long destinationLo() {
        return Bytes.u64(seg, offset + DST_OFFSET + 8);
    }

    @Override
    public Ipv6Address sourceAddress() {
        return new Ipv6Address(sourceHi(), sourceLo());
    }

    @Override
    public Ipv6Address destinationAddress() {
        return new Ipv6Address(destinationHi(), destinationLo());
    }

    /** Whether the chain holds a fragment header (even an atomic one, RFC 6946). */
    public boolean hasFragmentHeader() {
        return hasFragmentHeader;
    }

    /** True when the packet is a fragment needing reassembly: M set or a non-zero offset (RFC 6946 §4). */
    public boolean isFragment() {
        return hasFragmentHeader && (fragmentField & 0xFFF9) != 0;
    }

    public int fragmentOffsetBytes() {
        return fragmentField & 0xFFF8;
    }

    public boolean moreFragments() {
        return (fragmentField & 1) != 0;
    }

    public int fragmentIdentification() {
        return fragmentId;
    }

    /**
     * Absolute offset of the fragment header, or -1 without one. Everything before it is the unfragmentable part;
     * the fragmentable part starts at {@link #fragmentableOffset()} (RFC 8200 §4.5).
     */
    public long fragmentHeaderOffset() {
        return fragmentRelOffset < 0 ? -1 : offset + fragmentRelOffset;
    }

    /** Absolute offset of the fragment's data (right after the fragment header), or -1 without one. */
    public long fragmentableOffset() {
        return fragmentRelOffset < 0 ? -1 : offset + fragmentRelOffset + FRAGMENT_HEADER_LENGTH;
    }

    /** Length of the fragment's data, 0 without a fragment header. */
    public int fragmentableLength() {
        return fragmentRelOffset < 0 ? 0 : (int) length - fragmentRelOffset - FRAGMENT_HEADER_LENGTH;
    }

    /** The fragment header's next header: the first header of the fragmentable part, -1 without one. */
    public int fragmentNextHeader() {
        return fragmentRelOffset < 0 ? -1 : Bytes.u8(seg, offset + fragmentRelOffset);
    }

    @Override
    public int upperProtocol() {
        return upperProtocol;
    }

    @Override
    public long upperOffset() {
        return offset + upperRelOffset;
    }

    @Override
    public int upperLength() {
        return (int) length - upperRelOffset;
    }

    /** The upper-layer payload as a slice (allocates). */
    public MemorySegment payload() {
        return seg.asSlice(upperOffset(), upperLength());
    }

    @Override
    public int pseudoHeaderSum(final int protocol, final int upperLength) {
        return Checksum.pseudoHeaderV6(sourceHi(), sourceLo(), destinationHi(), destinationLo(), protocol,
                upperLength);
    }

    /** Writes version 6, traffic class and flow label. */
    public Ipv6View versionTrafficClassFlowLabel(final int trafficClass, final int flowLabel) {
        Bytes.u32(seg, offset + VERSION_TC_FLOW_OFFSET, 6 << 28 | (trafficClass & 0xFF) << 20 | flowLabel & 0xF_FFFF);
        return this;
    }

    public Ipv6View payloadLength(final int payloadLength) {
        Bytes.u16(seg, offset + PAYLOAD_LENGTH_OFFSET, payloadLength);
        this.length = HEADER_LENGTH + payloadLength;
        return this;
    }

    public Ipv6View nextHeader(final int nextHeader) {
        Bytes.u8(seg, offset + NEXT_HEADER_OFFSET, nextHeader);
        return this;
    }

    public Ipv6View hopLimit(final int hopLimit) {
        Bytes.u8(seg, offset + HOP_LIMIT_OFFSET, hopLimit);
        return this;
    }

    public Ipv6View source(final long hi, final long lo) {
        Bytes.u64(seg, offset + SRC_OFFSET, hi);
        Bytes.u64(seg, offset + SRC_OFFSET + 8, lo);
        return this;
    }

    public Ipv6View destination(final long hi, final long lo) {
        Bytes.u64(seg, offset + DST_OFFSET, hi);
        Bytes.u64(seg, offset + DST_OFFSET + 8, lo);
        return this;
    }
}
