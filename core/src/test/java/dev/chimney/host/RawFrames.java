package dev.chimney.host;

import dev.chimney.wire.Checksum;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Hand-built frames for hostile-input tests: Ethernet + IPv4/IPv6 around arbitrary (possibly broken) TCP bytes. */
final class RawFrames {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private RawFrames() {
    }

    /** A TCP header with the given fields; {@code dataOffsetWords} may lie. Checksum left zero. */
    static byte[] tcp(int srcPort, int dstPort, int seq, int ack, int dataOffsetWords, int flags, int window,
            byte[] options, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + options.length + payload.length);
        b.putShort((short) srcPort).putShort((short) dstPort).putInt(seq).putInt(ack);
        b.putShort((short) (dataOffsetWords << 12 | flags & 0x1FF)).putShort((short) window);
        b.putShort((short) 0).putShort((short) 0).put(options).put(payload);
        return b.array();
    }

    /** Fills the TCP checksum in {@code tcp} for the given addresses (RFC 9293 §3.1). */
    static byte[] withChecksum(byte[] tcp, IpAddress src, IpAddress dst) {
        tcp[16] = 0;
        tcp[17] = 0;
        MemorySegment m = MemorySegment.ofArray(tcp);
        int sum = Checksum.add(Checksum.sum(m, 0, tcp.length),
                Checksum.pseudoHeader(src, dst, IpProtocol.TCP, tcp.length));
        int c = Checksum.finish(sum);
        tcp[16] = (byte) (c >>> 8);
        tcp[17] = (byte) c;
        return tcp;
    }

    /** An Ethernet frame carrying {@code upper} as protocol {@code protocol} from {@code src} to {@code dst}. */
    static MemorySegment ip(MacAddress srcMac, MacAddress dstMac, IpAddress src, IpAddress dst, int protocol,
            byte[] upper) {
        boolean v4 = src.isIpv4();
        int ipLen = (v4 ? 20 : 40) + upper.length;
        ByteBuffer b = ByteBuffer.allocate(Math.max(60, 14 + ipLen));
        putMac(b, dstMac);
        putMac(b, srcMac);
        b.putShort((short) (v4 ? 0x0800 : 0x86DD));
        if (v4) {
            int start = b.position();
            b.put((byte) 0x45).put((byte) 0).putShort((short) ipLen).putShort((short) 0x1234).putShort((short) 0x4000);
            b.put((byte) 64).put((byte) protocol).putShort((short) 0);
            b.putInt(((Ipv4Address) src).bits()).putInt(((Ipv4Address) dst).bits());
            int c = Checksum.compute(MemorySegment.ofArray(b.array()), start, 20);
            b.putShort(start + 10, (short) c);
        } else {
            b.putInt(0x6000_0000).putShort((short) upper.length).put((byte) protocol).put((byte) 64);
            b.putLong(((Ipv6Address) src).hi()).putLong(((Ipv6Address) src).lo());
            b.putLong(((Ipv6Address) dst).hi()).putLong(((Ipv6Address) dst).lo());
        }
        b.put(upper);
        return MemorySegment.ofArray(b.array());
    }

    private static void putMac(ByteBuffer b, MacAddress mac) {
        long bits = mac.bits();
        for (int i = 5; i >= 0; i--) {
            b.put((byte) (bits >>> (8 * i)));
        }
    }

    /** Bytes of the offending packet quoted after its IP header (RFC 1812 §4.3.2.3 allows up to 576 in all). */
    static final int QUOTE_BYTES = 64;

    /**
     * An ICMP error from {@code router} back to the sender of {@code offending} (an Ethernet frame carrying IPv4 or
     * IPv6), quoting its IP header and the first {@link #QUOTE_BYTES} bytes after it (RFC 792, RFC 4443 §2.4(c)).
     * {@code word} fills bytes 4..7: the next-hop MTU in the low 16 bits for ICMPv4 fragmentation-needed (RFC 1191
     * §4), the MTU for ICMPv6 packet-too-big (RFC 4443 §3.2), else 0.
     */
    static MemorySegment icmpError(MemorySegment offending, MacAddress routerMac, IpAddress router, int type,
            int code, int word) {
        boolean v4 = Short.toUnsignedInt(offending.get(U16, 12)) == 0x0800;
        int ipHeader = v4 ? (offending.get(ValueLayout.JAVA_BYTE, 14) & 0xF) * 4 : 40;
        int ipLen = v4 ? Short.toUnsignedInt(offending.get(U16, 16))
                : 40 + Short.toUnsignedInt(offending.get(U16, 18));
        int quoteLen = Math.min(ipLen, ipHeader + QUOTE_BYTES);
        byte[] msg = new byte[8 + quoteLen];
        ByteBuffer.wrap(msg).put((byte) type).put((byte) code).putShort((short) 0).putInt(word);
        MemorySegment.copy(offending, ValueLayout.JAVA_BYTE, 14, msg, 8, quoteLen);
        MacAddress senderMac = new MacAddress(offending.get(U64, 6) >>> 16);
        IpAddress sender = v4 ? new Ipv4Address(offending.get(U32, 14 + 12))
                : new Ipv6Address(offending.get(U64, 14 + 8), offending.get(U64, 14 + 16));
        int pseudo = v4 ? 0 : Checksum.pseudoHeader(router, sender, IpProtocol.ICMPV6, msg.length);
        int c = Checksum.finish(Checksum.add(Checksum.sum(MemorySegment.ofArray(msg), 0, msg.length), pseudo));
        msg[2] = (byte) (c >>> 8);
        msg[3] = (byte) c;
        return ip(routerMac, senderMac, router, sender, v4 ? IpProtocol.ICMP : IpProtocol.ICMPV6, msg);
    }
}
