package dev.chimney.chimney.conformance;

import dev.chimney.wire.Checksum;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv4View;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.Ipv6View;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.TcpOptions;
import dev.chimney.wire.TcpView;
import dev.chimney.wire.WireFormatException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** Frames seen on the wire, parsed for assertions, and hand-built frames a scripted peer puts on it. */
final class WireFrames {
    private WireFrames() {
    }

    /** One frame, parsed (fields that do not apply are -1 / false). */
    record Parsed(byte[] bytes, long timeNs, MacAddress src, MacAddress dst, boolean tagged, int vlanId, int pcp,
            boolean v6, boolean tcp, int ipId, boolean df, boolean fragment, int ttl, int tos, int flowLabel,
            int ipTotalLength, IpAddress srcIp, IpAddress dstIp, int srcPort, int dstPort, int seq, int ack,
            int flags, int window, int payloadLength, boolean timestamps, int tsVal, int tsEcr, int sackBlocks,
            int mss) {

        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        byte[] payload() {
            byte[] p = new byte[payloadLength];
            System.arraycopy(bytes, bytes.length - payloadLength - padding(), p, 0, payloadLength);
            return p;
        }

        private int padding() {
            int l2 = tagged ? 18 : 14;
            return bytes.length - l2 - ipTotalLength;
        }

        @Override
        public String toString() {
            return (timeNs / 1_000_000) + "ms " + (tcp ? srcPort + "->" + dstPort + " seq=" + Integer.toUnsignedString(
                    seq) + " ack=" + Integer.toUnsignedString(ack) + " flags=" + dev.chimney.tcp.TcpFlags.toString(
                    flags) + " win=" + window + " len=" + payloadLength : "non-TCP " + bytes.length + "B");
        }
    }

    static Parsed parse(byte[] frame, long timeNs) {
        MemorySegment m = MemorySegment.ofArray(frame);
        EthernetView eth = new EthernetView();
        try {
            eth.wrap(m).check();
        } catch (WireFormatException e) {
            return null;
        }
        boolean tagged = eth.hasVlanTag();
        int vid = tagged ? eth.vlanId() : -1;
        int pcp = tagged ? eth.vlanPcp() : -1;
        int type = eth.etherType();
        long l3 = eth.payloadOffset();
        boolean v6;
        int ipId = -1;
        boolean df = false;
        boolean fragment = false;
        int ttl;
        int tos;
        int flow = -1;
        int total;
        IpAddress src;
        IpAddress dst;
        long tcpOff;
        int tcpLen;
        int proto;
        try {
            if (type == EtherType.IPV4) {
                Ipv4View ip = new Ipv4View().wrap(m, l3, frame.length - l3).check();
                v6 = false;
                ipId = ip.identification();
                df = ip.dontFragment();
                fragment = ip.isFragment();
                ttl = ip.ttl();
                tos = ip.tos();
                total = ip.totalLength();
                src = ip.sourceAddress();
                dst = ip.destinationAddress();
                tcpOff = ip.upperOffset();
                tcpLen = ip.upperLength();
                proto = ip.protocol();
            } else if (type == EtherType.IPV6) {
                Ipv6View ip = new Ipv6View().wrap(m, l3, frame.length - l3).check();
                v6 = true;
                fragment = ip.hasFragmentHeader();
                ttl = ip.hopLimit();
                tos = ip.trafficClass();
                flow = ip.flowLabel();
                total = 40 + ip.payloadLength();
                src = ip.sourceAddress();
                dst = ip.destinationAddress();
                tcpOff = ip.upperOffset();
                tcpLen = ip.upperLength();
                proto = ip.upperProtocol();
            } else {
                return new Parsed(frame, timeNs, eth.source(), eth.destination(), tagged, vid, pcp, false, false, -1,
                        false, false, -1, -1, -1, frame.length - 14, null, null, -1, -1, 0, 0, 0, 0, 0, false, 0, 0,
                        0, -1);
            }
            if (proto != IpProtocol.TCP || fragment) {
                return new Parsed(frame, timeNs, eth.source(), eth.destination(), tagged, vid, pcp, v6, false, ipId,
                        df, fragment, ttl, tos, flow, total, src, dst, -1, -1, 0, 0, 0, 0, 0, false, 0, 0, 0, -1);
            }
            TcpView t = new TcpView().wrap(m, tcpOff, tcpLen).check();
            TcpOptions o = new TcpOptions();
            t.readOptions(o);
            return new Parsed(frame, timeNs, eth.source(), eth.destination(), tagged, vid, pcp, v6, true, ipId, df,
                    false, ttl, tos, flow, total, src, dst, t.srcPort(), t.dstPort(), t.seqNumber(), t.ackNumber(),
                    t.flags(), t.window(), t.payloadLength(), o.hasTimestamps(), o.tsVal(), o.tsEcr(), o.sackCount(),
                    o.maxSegmentSize());
        } catch (WireFormatException e) {
            return null;
        }
    }

    /** A TCP segment's bytes (header, options, payload) with its checksum for {@code src} → {@code dst}. */
    static byte[] tcp(IpAddress src, IpAddress dst, int srcPort, int dstPort, int seq, int ack, int flags, int window,
            int urgent, TcpOptions options, byte[] payload) {
        int optLen = options == null ? 0 : options.length();
        byte[] b = new byte[20 + optLen + payload.length];
        MemorySegment m = MemorySegment.ofArray(b);
        TcpView v = new TcpView().wrap(m, 0, b.length);
        v.srcPort(srcPort).dstPort(dstPort).seqNumber(seq).ackNumber(ack);
        if (options != null) {
            v.writeOptions(options, flags);
        } else {
            v.headerLenAndFlags(20, flags);
        }
        v.window(window).urgentPointer(urgent);
        System.arraycopy(payload, 0, b, 20 + optLen, payload.length);
        v.fillChecksum(Checksum.pseudoHeader(src, dst, IpProtocol.TCP, b.length));
        return b;
    }

    /**
     * An Ethernet frame around an IP packet carrying {@code upper}: IPv4 with DF and the given options bytes (a
     * multiple of 4) and fragment fields, or IPv6 with an optional fragment header.
     */
    static byte[] ip(MacAddress srcMac, MacAddress dstMac, int vlan, IpAddress src, IpAddress dst, int protocol,
            byte[] upper, byte[] ipv4Options, boolean fragment) {
        boolean v4 = src.isIpv4();
        int l2 = vlan >= 0 ? 18 : 14;
        int ipHeader = v4 ? 20 + ipv4Options.length : 40 + (fragment ? 8 : 0);
        int ipLen = ipHeader + upper.length;
        ByteBuffer b = ByteBuffer.allocate(Math.max(60, l2 + ipLen));
        putMac(b, dstMac);
        putMac(b, srcMac);
        if (vlan >= 0) {
            b.putShort((short) EtherType.VLAN).putShort((short) vlan);
        }
        b.putShort((short) (v4 ? EtherType.IPV4 : EtherType.IPV6));
        if (v4) {
            int start = b.position();
            b.put((byte) (0x40 | (ipHeader / 4))).put((byte) 0).putShort((short) ipLen).putShort((short) 0x1234);
            b.putShort((short) (fragment ? 0x2000 : 0x4000)); // MF on a first fragment, else DF
            b.put((byte) 64).put((byte) protocol).putShort((short) 0);
            b.putInt(((Ipv4Address) src).bits()).putInt(((Ipv4Address) dst).bits());
            b.put(ipv4Options);
            int c = Checksum.compute(MemorySegment.ofArray(b.array()), start, ipHeader);
            b.putShort(start + 10, (short) c);
        } else {
            b.putInt(0x6000_0000).putShort((short) (ipLen - 40)).put((byte) (fragment ? 44 : protocol))
                    .put((byte) 64);
            b.putLong(((Ipv6Address) src).hi()).putLong(((Ipv6Address) src).lo());
            b.putLong(((Ipv6Address) dst).hi()).putLong(((Ipv6Address) dst).lo());
            if (fragment) {
                b.put((byte) protocol).put((byte) 0).putShort((short) 1).putInt(0x4242); // offset 0, M set
            }
        }
        b.put(upper);
        return b.array();
    }

    private static void putMac(ByteBuffer b, MacAddress mac) {
        long bits = mac.bits();
        for (int i = 5; i >= 0; i--) {
            b.put((byte) (bits >>> (8 * i)));
        }
    }
}
