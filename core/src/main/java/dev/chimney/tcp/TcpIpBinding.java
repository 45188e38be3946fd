package dev.chimney.tcp;

import dev.chimney.ip.IcmpErrorKind;
import dev.chimney.ip.IpPacketInfo;
import dev.chimney.ip.IpStack;
import dev.chimney.ip.TransportHandler;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.wire.Bytes;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.TcpOptions;
import dev.chimney.wire.TcpView;
import dev.chimney.wire.WireFormatException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * TCP on IP: the glue between one {@link IpStack} and the {@link TcpStack} it owns, on the same event loop.
 *
 * <p>Receive ({@link TransportHandler}): validates the header (data offset, flags, options) and the checksum over
 * the pseudo-header, fills one reused {@link TcpSegment} whose payload points into the received frame, and hands it
 * to {@link TcpStack#onSegment}. A malformed segment is counted by reason in {@link #counter} and dropped; nothing
 * is thrown. ICMP errors quoting one of our segments reach the matching connection only when the quoted 4-tuple
 * names a live connection and the quoted sequence number lies in SND.UNA..SND.MAX (RFC 5927 §4.1, §4.3).
 *
 * <p>Transmit ({@link TcpOutput}): writes header, options and payload straight into IP's reusable transmit buffer
 * and fills the checksum, with the IP fields (TTL / hop limit, TOS / traffic class, flow label) of the connection's
 * cached state (spec §2.6); a steady stream of segments allocates nothing (address objects for received packets come
 * from a small cache, see {@link #addressV4}).
 *
 * <p>Owned by the IP stack's loop: every method runs there.
 */
public final class TcpIpBinding implements TransportHandler, TcpOutput {
    /** Size of each direct-mapped address cache (power of two). */
    private static final int ADDRESS_CACHE_SIZE = 256;

    private final IpStack ip;
    private final TcpStack tcp;
    private final long[] counters = new long[TcpIpCounter.values().length];
    private final TcpView rxView = new TcpView();
    private final TcpOptions rxOptions = new TcpOptions();
    private final TcpSegment rxSegment = new TcpSegment();
    private final TcpView txView = new TcpView();
    private final TcpOptions txOptions = new TcpOptions();
    private final Ipv4Address[] v4Cache = new Ipv4Address[ADDRESS_CACHE_SIZE];
    private final Ipv6Address[] v6Cache = new Ipv6Address[ADDRESS_CACHE_SIZE];

    /**
     * Creates the TCP layer for {@code ip} (same loop) and registers it for protocol 6.
     *
     * @param random the TCP stack's random stream (ISN key, ephemeral ports, timestamp offsets)
     */
    public static TcpIpBinding install(IpStack ip, TcpConfig config, SeededRandom random) {
        TcpIpBinding b = new TcpIpBinding(ip, config, random);
        ip.register(IpProtocol.TCP, b);
        return b;
    }

    private TcpIpBinding(IpStack ip, TcpConfig config, SeededRandom random) {
        this.ip = Objects.requireNonNull(ip, "ip");
        this.tcp = new TcpStack(ip.loop(), config, this, random);
    }

    /** The TCP engine fed by this binding. */
    public TcpStack tcp() {
        return tcp;
    }

    public IpStack ip() {
        return ip;
    }

    public long counter(TcpIpCounter c) {
        return counters[c.ordinal()];
    }

    private void count(TcpIpCounter c) {
        counters[c.ordinal()]++;
    }

    /** Every non-zero counter, for assertion messages and logs. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("TcpIpBinding{");
        for (TcpIpCounter c : TcpIpCounter.values()) {
            if (counters[c.ordinal()] != 0) {
                b.append(c).append('=').append(counters[c.ordinal()]).append(' ');
            }
        }
        return b.append('}').toString();
    }

    // ================================================================ receive

    @Override
    public void onPacket(IpPacketInfo info, MemorySegment payload) {
        onPacket(info, payload, 0, (int) payload.byteSize());
    }

    /** The zero-copy form IP calls: the segment is {@code length} bytes at {@code offset} of the frame. */
    @Override
    public void onPacket(IpPacketInfo info, MemorySegment frame, long offset, int length) {
        count(TcpIpCounter.SEGMENTS_RECEIVED);
        if (info.destinationMulticast()) {
            // RFC 1122 §4.2.3.10: a SYN (or anything) to a broadcast/multicast address is silently discarded.
            count(TcpIpCounter.DROP_NOT_UNICAST);
            return;
        }
        TcpView v = rxView.wrap(frame, offset, length);
        if (length < TcpView.HEADER_LENGTH) {
            count(TcpIpCounter.DROP_TRUNCATED);
            return;
        }
        int headerLen = v.headerLen();
        if (headerLen < TcpView.HEADER_LENGTH) {
            count(TcpIpCounter.DROP_BAD_DATA_OFFSET);
            return;
        }
        if (headerLen > length) {
            count(TcpIpCounter.DROP_TRUNCATED);
            return;
        }
        int pseudo = info.isIpv4()
                ? Checksum.pseudoHeaderV4(info.sourceV4(), info.destinationV4(), IpProtocol.TCP, length)
                : Checksum.pseudoHeaderV6(info.sourceHi(), info.sourceLo(), info.destinationHi(),
                        info.destinationLo(), IpProtocol.TCP, length);
        // A checksum the port verified, or one a local kernel left partial for an offload (virtio NEEDS_CSUM: the
        // bytes never crossed a wire), is not verified again; a partial one would never verify.
        if (!info.transportChecksumTrusted() && !v.checksumOk(pseudo)) {
            count(TcpIpCounter.DROP_BAD_CHECKSUM);
            return;
        }
        int flags = v.flags();
        if ((flags & (TcpFlags.SYN | TcpFlags.RST)) == (TcpFlags.SYN | TcpFlags.RST)) {
            count(TcpIpCounter.DROP_BAD_FLAGS);
            return;
        }
        if (headerLen > TcpView.HEADER_LENGTH) {
            try {
                v.readOptions(rxOptions);
            } catch (WireFormatException e) {
                count(TcpIpCounter.DROP_BAD_OPTIONS);
                return;
            }
        } else {
            rxOptions.clear();
        }
        TcpSegment seg = rxSegment.clear();
        seg.sourcePort(v.srcPort()).destinationPort(v.dstPort()).seq(v.seqNumber()).ack(v.ackNumber())
                .flags(flags).window(v.window()).urgentPointer(v.urgentPointer());
        TcpOptions o = rxOptions;
        if (o.maxSegmentSize() != TcpOptions.NONE) {
            seg.mss(o.maxSegmentSize());
        }
        if (o.windowScale() != TcpOptions.NONE) {
            seg.windowScale(o.windowScale());
        }
        seg.sackPermitted(o.sackPermitted());
        if (o.hasTimestamps()) {
            seg.timestamp(o.tsVal(), o.tsEcr());
        }
        for (int i = 0; i < o.sackCount(); i++) {
            seg.addSack(o.sackLeft(i), o.sackRight(i));
        }
        seg.payload(frame, offset + headerLen, length - headerLen);
        if (info.segmentBytes() > 0) {
            seg.segmentBytes(info.segmentBytes()); // a GSO super-segment: the sender's MSS, for accounting
        }
        IpAddress source;
        IpAddress destination;
        if (info.isIpv4()) {
            source = addressV4(info.sourceV4());
            destination = addressV4(info.destinationV4());
        } else {
            source = addressV6(info.sourceHi(), info.sourceLo());
            destination = addressV6(info.destinationHi(), info.destinationLo());
        }
        tcp.onSegment(ip.loop().nowNs(), source, destination, seg);
    }

    /**
     * The address object for raw IPv4 bits from a direct-mapped cache, so a steady flow of packets between the same
     * hosts creates no objects; a miss (new peer, or a collision) allocates one.
     */
    private Ipv4Address addressV4(int bits) {
        int slot = mix(bits) & (ADDRESS_CACHE_SIZE - 1);
        Ipv4Address a = v4Cache[slot];
        if (a == null || a.bits() != bits) {
            a = new Ipv4Address(bits);
            v4Cache[slot] = a;
        }
        return a;
    }

    private Ipv6Address addressV6(long hi, long lo) {
        int slot = mix((int) (hi ^ (hi >>> 32) ^ lo ^ (lo >>> 32))) & (ADDRESS_CACHE_SIZE - 1);
        Ipv6Address a = v6Cache[slot];
        if (a == null || a.hi() != hi || a.lo() != lo) {
            a = new Ipv6Address(hi, lo);
            v6Cache[slot] = a;
        }
        return a;
    }

    private static int mix(int x) {
        x *= 0x9E37_79B9;
        return x ^ (x >>> 16);
    }

    @Override
    public void onIcmpError(IcmpErrorKind kind, IpPacketInfo quoted, int mtuBytes, MemorySegment quotedPayload) {
        if (quotedPayload.byteSize() < 8) {
            count(TcpIpCounter.ICMP_DROP_NO_CONNECTION);
            return;
        }
        // The quote is of a segment we sent: its source is us, its destination the peer.
        int localPort = Bytes.u16(quotedPayload, TcpView.SRC_PORT_OFFSET);
        int remotePort = Bytes.u16(quotedPayload, TcpView.DST_PORT_OFFSET);
        int seq = Bytes.u32(quotedPayload, TcpView.SEQ_OFFSET);
        IpAddress local = quoted.sourceAddress();
        IpAddress remote = quoted.destinationAddress();
        TcpConnection c = tcp.find(local, localPort, remote, remotePort);
        if (c == null) {
            count(TcpIpCounter.ICMP_DROP_NO_CONNECTION);
            return;
        }
        // RFC 5927 §4.1: act only on errors quoting a sequence number in flight (SND.UNA <= seq < SND.MAX): a blind
        // attacker must guess the window, and an error about long-acknowledged data is stale.
        if (!(Seq.leq(c.d.sndUna, seq) && Seq.lt(seq, c.d.sndMax))) {
            count(TcpIpCounter.ICMP_DROP_OUT_OF_WINDOW);
            return;
        }
        if (kind == IcmpErrorKind.PACKET_TOO_BIG) {
            count(TcpIpCounter.ICMP_PACKET_TOO_BIG);
            c.onPathMtuDecrease(mtuBytes);
        } else if (kind.isHard()) {
            count(TcpIpCounter.ICMP_HARD_ERRORS);
            c.onHardError(CloseReason.UNREACHABLE);
        } else {
            count(TcpIpCounter.ICMP_SOFT_ERRORS);
            c.onSoftError(CloseReason.UNREACHABLE);
        }
    }

    // ================================================================ transmit

    @Override
    public void transmit(IpAddress source, IpAddress destination, TcpSegment seg, TcpCached ipParams) {
        IpStack.Outbound out = ip.beginSend(source, destination, IpProtocol.TCP);
        if (out == null) {
            count(TcpIpCounter.TX_DROP_NO_ROUTE);
            return;
        }
        if (ipParams != null) {
            // spec §2.6 / R-STATE-12: every packet of a connection carries its cached IP fields
            out.ttlOrHopLimit(ipParams.ttlOrHopLimit()).tosOrTrafficClass(ipParams.tosOrTrafficClass())
                    .flowLabel(ipParams.flowLabel());
        }
        TcpOptions o = txOptions.clear();
        if (seg.mss() >= 0) {
            o.maxSegmentSize(seg.mss());
        }
        if (seg.windowScale() >= 0) {
            o.windowScale(seg.windowScale());
        }
        o.sackPermitted(seg.sackPermitted());
        if (seg.hasTimestamp()) {
            o.timestamps(seg.tsVal(), seg.tsEcr());
        }
        for (int i = 0; i < seg.sackCount(); i++) {
            o.addSack(seg.sackLeft(i), seg.sackRight(i));
        }
        int headerLen = TcpView.HEADER_LENGTH + o.length();
        int payloadLen = seg.payloadLength();
        int total = headerLen + payloadLen;
        boolean superSegment = seg.segmentBytes() > 0;
        // A super-segment is too big when the whole exceeds what the offload takes, or when one of its pieces
        // (header + segmentBytes) no longer fits the path: the connection's MSS is stale either way.
        boolean tooBig = superSegment
                ? total > out.maxSegmentedPayloadBytes() || headerLen + seg.segmentBytes() > out.maxPayloadBytes()
                : total > out.maxPayloadBytes();
        if (tooBig) {
            // The path MTU shrank below what this connection segments for (an ICMP error about another connection
            // to the same peer, or a route change): drop this copy and let the connection re-segment; RFC 1191
            // §6.5 — the new PMTU applies to every connection on the path. The connection is looked up after this
            // call returns, since we are inside its output.
            count(TcpIpCounter.TX_DROP_TOO_BIG);
            int pmtu = out.pathMtuBytes();
            int localPort = seg.sourcePort();
            int remotePort = seg.destinationPort();
            ip.loop().execute(() -> {
                TcpConnection c = tcp.find(source, localPort, destination, remotePort);
                if (c != null) {
                    c.onPathMtuDecrease(pmtu);
                }
            });
            return;
        }
        MemorySegment buf = out.segment();
        long off = out.payloadOffset();
        TcpView v = txView.wrap(buf, off, total);
        v.srcPort(seg.sourcePort()).dstPort(seg.destinationPort()).seqNumber(seg.seq()).ackNumber(seg.ack());
        v.writeOptions(o, seg.flags());
        v.window(seg.window()).urgentPointer(seg.urgentPointer());
        if (payloadLen > 0) {
            MemorySegment.copy(seg.payloadMemory(), seg.payloadOffset(), buf, off + headerLen, payloadLen);
        }
        boolean sent;
        if (out.checksumOffload()) {
            // The port completes the checksum (and cuts a super-segment into segmentBytes pieces): leave the
            // folded pseudo-header sum in the field (virtio NEEDS_CSUM, as Linux does for CHECKSUM_PARTIAL).
            Bytes.u16(buf, off + TcpView.CHECKSUM_OFFSET, out.pseudoHeaderSum(total));
            sent = out.commitSegmented(total, headerLen, superSegment ? seg.segmentBytes() : Math.max(1, payloadLen));
        } else {
            v.fillChecksum(out.pseudoHeaderSum(total));
            sent = out.commit(total);
        }
        if (sent) {
            count(TcpIpCounter.SEGMENTS_SENT);
        } else {
            count(TcpIpCounter.TX_DROP_REFUSED);
        }
    }

    @Override
    public void forwardProgress(IpAddress source, IpAddress destination, long nowNs) {
        count(TcpIpCounter.REACHABILITY_CONFIRMATIONS);
        ip.confirmReachable(destination);
    }

    /**
     * The interface's segmentation offload size towards {@code destination} less the largest TCP header, so a
     * super-segment with any options fits what the port accepts; 0 without TSO (the virtual network).
     */
    @Override
    public int segmentationOffloadBytes(IpAddress source, IpAddress destination) {
        int bytes = ip.segmentationOffloadBytes(destination);
        return bytes > TcpView.MAX_HEADER_LENGTH ? bytes - TcpView.MAX_HEADER_LENGTH : 0;
    }

    @Override
    public int pathMtu(IpAddress source, IpAddress destination) {
        int mtu = ip.pathMtu(destination);
        return mtu > 0 ? mtu : destination.isIpv4() ? 576 : 1280;
    }
}
