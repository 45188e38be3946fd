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
    /** Reads 8 bytes big-endian: the top 48 bits are a MAC address when read at its offset. */
    static final ValueLayout.OfLong U48_HI = U64;

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
}
