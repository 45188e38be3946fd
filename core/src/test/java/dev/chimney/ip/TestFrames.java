package dev.chimney.ip;

import dev.chimney.wire.Bytes;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv4View;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.Ipv6View;
import dev.chimney.wire.MacAddress;
import java.lang.foreign.MemorySegment;

/** Frame builders for scripted peers in the ip tests (independent of IpStack's own transmit code). */
final class TestFrames {
    private TestFrames() {
    }

    static MemorySegment ethernet(MacAddress dst, MacAddress src, int etherType, MemorySegment payload) {
        int len = Math.max(60, 14 + (int) payload.byteSize());
        MemorySegment f = MemorySegment.ofArray(new byte[len]);
        new EthernetView().wrap(f).destinationBits(dst.bits()).sourceBits(src.bits()).untagged().etherType(etherType);
        MemorySegment.copy(payload, 0, f, 14, payload.byteSize());
        return f;
    }

    /** An IPv4 packet (no options) around {@code payload}. */
    static MemorySegment ipv4(Ipv4Address src, Ipv4Address dst, int protocol, int id, boolean df, boolean mf,
            int offsetBytes, MemorySegment payload) {
        int len = 20 + (int) payload.byteSize();
        MemorySegment p = MemorySegment.ofArray(new byte[len]);
        new Ipv4View().wrap(p).versionAndHeaderLen(20).tos(0).totalLength(len).identification(id)
                .fragment(df, mf, offsetBytes).ttl(64).protocol(protocol).sourceBits(src.bits())
                .destinationBits(dst.bits()).fillChecksum();
        MemorySegment.copy(payload, 0, p, 20, payload.byteSize());
        return p;
    }

    /** An IPv6 packet around {@code payload} (next header = protocol), hop limit as given. */
    static MemorySegment ipv6(Ipv6Address src, Ipv6Address dst, int nextHeader, int hopLimit, MemorySegment payload) {
        int len = 40 + (int) payload.byteSize();
        MemorySegment p = MemorySegment.ofArray(new byte[len]);
        new Ipv6View().wrap(p).versionTrafficClassFlowLabel(0, 0).payloadLength((int) payload.byteSize())
                .nextHeader(nextHeader).hopLimit(hopLimit).source(src.hi(), src.lo()).destination(dst.hi(), dst.lo());
        MemorySegment.copy(payload, 0, p, 40, payload.byteSize());
        return p;
    }

    /** An IPv6 fragment: fragment header + data (an 8-byte-aligned piece of the fragmentable part). */
    static MemorySegment ipv6Fragment(Ipv6Address src, Ipv6Address dst, int nextHeader, int id, int offsetBytes,
            boolean more, MemorySegment data) {
        MemorySegment fp = MemorySegment.ofArray(new byte[8 + (int) data.byteSize()]);
        Bytes.u8(fp, 0, nextHeader);
        Bytes.u16(fp, 2, offsetBytes | (more ? 1 : 0));
        Bytes.u32(fp, 4, id);
        MemorySegment.copy(data, 0, fp, 8, data.byteSize());
        return ipv6(src, dst, IpProtocol.IPV6_FRAGMENT, 64, fp);
    }

    /** An ICMP echo request (v4 when {@code pseudo} is 0 and v6 = false). */
    static MemorySegment echo(boolean v6, boolean request, int id, int seq, int dataBytes) {
        MemorySegment m = MemorySegment.ofArray(new byte[8 + dataBytes]);
        Bytes.u8(m, 0, v6 ? (request ? 128 : 129) : (request ? 8 : 0));
        Bytes.u16(m, 4, id);
        Bytes.u16(m, 6, seq);
        for (int i = 0; i < dataBytes; i++) {
            Bytes.u8(m, 8 + i, i * 7);
        }
        return m;
    }

    static void checksumIcmpv4(MemorySegment m) {
        Bytes.u16(m, 2, 0);
        Bytes.u16(m, 2, Checksum.compute(m, 0, m.byteSize()));
    }

    static void checksumIcmpv6(MemorySegment m, Ipv6Address src, Ipv6Address dst) {
        Bytes.u16(m, 2, 0);
        int pseudo = Checksum.pseudoHeaderV6(src.hi(), src.lo(), dst.hi(), dst.lo(), IpProtocol.ICMPV6,
                (int) m.byteSize());
        Bytes.u16(m, 2, Checksum.finish(Checksum.add(Checksum.sum(m, 0, m.byteSize()), pseudo)));
    }

    static MemorySegment frameV6(MacAddress dstMac, MacAddress srcMac, MemorySegment ipPacket) {
        return ethernet(dstMac, srcMac, EtherType.IPV6, ipPacket);
    }

    static MemorySegment frameV4(MacAddress dstMac, MacAddress srcMac, MemorySegment ipPacket) {
        return ethernet(dstMac, srcMac, EtherType.IPV4, ipPacket);
    }

    static MemorySegment concat(MemorySegment a, MemorySegment b) {
        MemorySegment c = MemorySegment.ofArray(new byte[(int) (a.byteSize() + b.byteSize())]);
        MemorySegment.copy(a, 0, c, 0, a.byteSize());
        MemorySegment.copy(b, 0, c, a.byteSize(), b.byteSize());
        return c;
    }

    static EthernetView eth(MemorySegment frame) {
        return new EthernetView().wrap(frame);
    }
}
