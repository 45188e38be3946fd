package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * ARP packet for Ethernet/IPv4 (RFC 826). {@link #check()} insists on hardware type 1, protocol type 0x0800 and
 * address lengths 6/4: nothing else is meaningful to this stack.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Hardware type (1)           |   Protocol type (0x0800)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | HW len (6)    | Proto len (4) |   Operation (1 req, 2 reply)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Sender hardware address (6) ... sender protocol address (4)  |
 * |  Target hardware address (6) ... target protocol address (4)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class ArpView {
    public static final int HTYPE_OFFSET = 0;
    public static final int PTYPE_OFFSET = 2;
    public static final int HLEN_OFFSET = 4;
    public static final int PLEN_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int SENDER_MAC_OFFSET = 8;
    public static final int SENDER_IP_OFFSET = 14;
    public static final int TARGET_MAC_OFFSET = 18;
    public static final int TARGET_IP_OFFSET = 24;
    public static final int LENGTH = 28;
    public static final int HTYPE_ETHERNET = 1;
    public static final int OPERATION_REQUEST = 1;
    public static final int OPERATION_REPLY = 2;

    private MemorySegment seg;
    private long offset;
    private long length;

    public ArpView wrap(final MemorySegment segment) {
        return wrap(segment, 0, segment.byteSize());
    }

    public ArpView wrap(final MemorySegment segment, final long offset, final long length) {
        this.seg = segment;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Validates length and the Ethernet/IPv4 address types (RFC 826 "?Do I have the hardware type in ar$hrd?"). */
    public ArpView check() throws WireFormatException {
        Bytes.need(length, LENGTH, "ARP packet");
        if (hardwareType() != HTYPE_ETHERNET || protocolType() != EtherType.IPV4
                || Bytes.u8(seg, offset + HLEN_OFFSET) != 6 || Bytes.u8(seg, offset + PLEN_OFFSET) != 4) {
            throw new WireFormatException(WireFormatException.Reason.UNSUPPORTED,
                    "ARP: only Ethernet/IPv4 is supported (htype 1, ptype 0x0800, hlen 6, plen 4)");
        }
        return this;
    }

    public int hardwareType() {
        return Bytes.u16(seg, offset + HTYPE_OFFSET);
    }

    public int protocolType() {
        return Bytes.u16(seg, offset + PTYPE_OFFSET);
    }

    public int operation() {
        return Bytes.u16(seg, offset + OPERATION_OFFSET);
    }

    public long senderMacBits() {
        return Bytes.macBits(seg, offset + SENDER_MAC_OFFSET);
    }

    public int senderIpBits() {
        return Bytes.u32(seg, offset + SENDER_IP_OFFSET);
    }

    public long targetMacBits() {
        return Bytes.macBits(seg, offset + TARGET_MAC_OFFSET);
    }

    public int targetIpBits() {
        return Bytes.u32(seg, offset + TARGET_IP_OFFSET);
    }

    /** Writes the fixed Ethernet/IPv4 type fields (hardware/protocol types and lengths). */
    public ArpView ethernetIpv4() {
        Bytes.u16(seg, offset + HTYPE_OFFSET, HTYPE_ETHERNET);
        Bytes.u16(seg, offset + PTYPE_OFFSET, EtherType.IPV4);
        Bytes.u8(seg, offset + HLEN_OFFSET, 6);
        Bytes.u8(seg, offset + PLEN_OFFSET, 4);
        return this;
    }

    public ArpView operation(final int op) {
        Bytes.u16(seg, offset + OPERATION_OFFSET, op);
        return this;
    }

    public ArpView senderMacBits(final long mac) {
        Bytes.macBits(seg, offset + SENDER_MAC_OFFSET, mac);
        return this;
    }

    public ArpView senderIpBits(final int ip) {
        Bytes.u32(seg, offset + SENDER_IP_OFFSET, ip);
        return this;
    }

    public ArpView targetMacBits(final long mac) {
        Bytes.macBits(seg, offset + TARGET_MAC_OFFSET, mac);
        return this;
    }

    public ArpView targetIpBits(final int ip) {
        Bytes.u32(seg, offset + TARGET_IP_OFFSET, ip);
        return this;
    }
}
