package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * Ethernet II frame header, with an optional IEEE 802.1Q tag. A mutable flyweight: {@link #wrap} it over a frame,
 * {@link #check()} once, then no accessor throws.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Destination MAC (6 octets)                    |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   Source MAC (6 octets)       +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   EtherType or TPID 0x8100    | PCP |D|   VLAN ID (if tagged) |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   inner EtherType (if tagged) |  payload ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class EthernetView {
    public static final int DST_OFFSET = 0;
    public static final int SRC_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    /** Offset of the 802.1Q tag control information (PCP, DEI, VID) when tagged. */
    public static final int TCI_OFFSET = 14;
    /** Offset of the EtherType that follows an 802.1Q tag. */
    public static final int INNER_ETHER_TYPE_OFFSET = 16;
    public static final int HEADER_LENGTH = 14;
    public static final int TAGGED_HEADER_LENGTH = 18;

    private MemorySegment seg;
    private long offset;
    private long length;
    private boolean tagged;

    /** Wraps the whole segment. */
    public EthernetView wrap(final MemorySegment segment) {
        return wrap(segment, 0, segment.byteSize());
    }

    /** Wraps {@code length} bytes at {@code offset}; no validation happens until {@link #check()}. */
    public EthernetView wrap(final MemorySegment segment, final long offset, final long length) {
        this.seg = segment;
        this.offset = offset;
        this.length = length;
        this.tagged = false;
        return this;
    }

    /** Validates the header length (and the tag's length when the TPID says tagged). */
    public EthernetView check() throws WireFormatException {
        Bytes.need(length, HEADER_LENGTH, "ethernet header");
        tagged = Bytes.u16(seg, offset + ETHER_TYPE_OFFSET) == EtherType.VLAN;
        if (tagged) {
            Bytes.need(length, TAGGED_HEADER_LENGTH, "802.1Q tagged ethernet header");
        }
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

    public long destinationBits() {
        return Bytes.macBits(seg, offset + DST_OFFSET);
    }

    public MacAddress destination() {
        return new MacAddress(destinationBits());
    }

    public long sourceBits() {
        return Bytes.macBits(seg, offset + SRC_OFFSET);
    }

    public MacAddress source() {
        return new MacAddress(sourceBits());
    }

    public boolean hasVlanTag() {
        return tagged;
    }

    /** The EtherType of the payload (after the 802.1Q tag when tagged). */
    public int etherType() {
        return Bytes.u16(seg, offset + (tagged ? INNER_ETHER_TYPE_OFFSET : ETHER_TYPE_OFFSET));
    }

    /** Priority code point (IEEE 802.1Q), 0 when untagged. */
    public int vlanPcp() {
        return tagged ? Bytes.u16(seg, offset + TCI_OFFSET) >>> 13 : 0;
    }

    /** Drop eligible indicator, false when untagged. */
    public boolean vlanDei() {
        return tagged && (Bytes.u16(seg, offset + TCI_OFFSET) & 0x1000) != 0;
    }

    /** VLAN identifier (12 bits), 0 when untagged. */
    public int vlanId() {
        return tagged ? Bytes.u16(seg, offset + TCI_OFFSET) & 0x0FFF : 0;
    }

    public int headerLen() {
        return tagged ? TAGGED_HEADER_LENGTH : HEADER_LENGTH;
    }

    public long payloadOffset() {
        return offset + headerLen();
    }

    public long payloadLength() {
        return length - headerLen();
    }

    /** The payload as a slice (allocates a segment object; the hot path uses payloadOffset/payloadLength). */
    public MemorySegment payload() {
        return seg.asSlice(payloadOffset(), payloadLength());
    }

    public EthernetView destinationBits(final long mac) {
        Bytes.macBits(seg, offset + DST_OFFSET, mac);
        return this;
    }

    public EthernetView sourceBits(final long mac) {
        Bytes.macBits(seg, offset + SRC_OFFSET, mac);
        return this;
    }

    /** Writes an 802.1Q tag (TPID and TCI); later {@link #etherType(int)} calls write the inner EtherType. */
    public EthernetView vlanTag(final int pcp, final boolean dei, final int vid) {
        tagged = true;
        Bytes.u16(seg, offset + ETHER_TYPE_OFFSET, EtherType.VLAN);
        Bytes.u16(seg, offset + TCI_OFFSET, (pcp & 7) << 13 | (dei ? 0x1000 : 0) | (vid & 0x0FFF));
        return this;
    }

    /** Marks the frame untagged for later setter calls (does not move bytes). */
    public EthernetView untagged() {
        tagged = false;
        return this;
    }

    public EthernetView etherType(final int etherType) {
        Bytes.u16(seg, offset + (tagged ? INNER_ETHER_TYPE_OFFSET : ETHER_TYPE_OFFSET), etherType);
        return this;
    }
}
