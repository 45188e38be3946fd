package dev.chimney.chimney.target;

import dev.chimney.link.LinkOffloads;
import dev.chimney.link.LoopBridge;
import dev.chimney.link.NetworkPort;
import dev.chimney.tcp.Seq;
import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpOutput;
import dev.chimney.tcp.TcpSegment;
import dev.chimney.wire.Bytes;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv4View;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.Ipv6View;
import dev.chimney.wire.TcpFlags;
import dev.chimney.wire.TcpOptions;
import dev.chimney.wire.TcpView;
import dev.chimney.wire.WireFormatException;
import java.lang.foreign.MemorySegment;

/**
 * The target's frame paths, both owned by its loop.
 *
 * <p>Receive ({@link #onLinkFrame}): parses Ethernet (802.1Q), IPv4 / IPv6 and TCP with the wire views, finds the
 * offloaded connection from the header fields alone (R-TREE-10) and feeds the engine a reused {@link TcpSegment}
 * whose payload points into the frame. Everything the spec keeps on the host goes up unchanged through the
 * non-offload path (spec §6.11.2): ARP, ICMP and other protocols (R-RXS-2), IPv4 with options (R-RXS-3), fragments
 * (R-RXS-4), IPv6 extension headers unless supported, unknown tuples, connections whose terminate is pending or done
 * (R-TERM-7/8) or that are CLOSED (R-FIN-3), and — recommended by spec §5.4.4 — corrupt IP or TCP headers and bad
 * checksums, uncounted. Urgent data and an in-sequence SYN are held for the upload (spec §6.11.1, §6.11.3).
 *
 * <p>Transmit ({@link TcpOutput}): builds Ethernet (+802.1Q per spec §6.12) / IPv4 or IPv6 / TCP from the connection
 * → path → neighbor links (spec §2.13, R-TREE-9) into one reused buffer: DF set, IP IDs from the upper half of the
 * space (spec §4.1.2), the connection's cached TTL / TOS / flow label (R-STATE-12), never a fragment (R-SEND-9).
 * No allocation per packet either way.
 */
final class TargetFrames implements TcpOutput {
    private static final int MAX_FRAME = 65_535 + EthernetView.TAGGED_HEADER_LENGTH;
    /** Spec §4.1.2: the target's IPv4 identifications are 0x8000-0xFFFF; the lower half is the host's. */
    private static final int IPV4_ID_TARGET_HALF = 0x8000;

    private final SoftOffloadTarget target;
    private final NetworkPort link;
    private final LoopBridge.Port hostSide;
    private final OffloadCounters counters;

    private final EthernetView rxEth = new EthernetView();
    private final Ipv4View rxV4 = new Ipv4View();
    private final Ipv6View rxV6 = new Ipv6View();
    private final TcpView rxTcp = new TcpView();
    private final TcpOptions rxOptions = new TcpOptions();
    private final TcpSegment rxSegment = new TcpSegment();

    private final byte[] txBytes = new byte[MAX_FRAME];
    private final MemorySegment txBuffer = MemorySegment.ofArray(txBytes);
    private final MemorySegment[] txSlices = new MemorySegment[MAX_FRAME + 1];
    private final EthernetView txEth = new EthernetView();
    private final Ipv4View txV4 = new Ipv4View();
    private final Ipv6View txV6 = new Ipv6View();
    private final TcpView txTcp = new TcpView();
    private final TcpOptions txOptions = new TcpOptions();
    private int nextIpv4Id;

    /** Frames passed up, by reason (diagnostics and tests). */
    long passedUp;
    long droppedVlan;
    long droppedUrgentInvalid;
    long droppedHeldOverflow;

    TargetFrames(SoftOffloadTarget target, NetworkPort link, LoopBridge.Port hostSide, OffloadCounters counters,
            int firstIpv4Id) {
        this.target = target;
        this.link = link;
        this.hostSide = hostSide;
        this.counters = counters;
        this.nextIpv4Id = firstIpv4Id;
    }

    // ============================================================================================== receive

    /** The non-offload path (spec §1.1): the frame being received goes up to the host unchanged. */
    void passUp(MemorySegment frame) {
        passedUp++;
        hostSide.forward(frame, link.rxChecksumState(), link.rxSegmentBytes());
    }

    /** A frame held earlier (spec §6.11.3) goes up; its receive metadata is gone, so the host checks everything. */
    void passUpCopy(byte[] frame) {
        passedUp++;
        hostSide.forward(MemorySegment.ofArray(frame), NetworkPort.RX_CHECKSUM_UNKNOWN, 0);
    }

    /** A frame the host sent: the NIC puts it on the wire unchanged (segmented as the host asked). */
    void fromHost(MemorySegment frame) {
        hostSide.forwardTo(link, frame);
    }

    void onLinkFrame(MemorySegment frame) {
        if (target.flows.size() == 0) {
            passUp(frame); // nothing offloaded: a plain NIC
            return;
        }
        long len = frame.byteSize();
        EthernetView eth = rxEth;
        try {
            eth.wrap(frame, 0, len).check();
        } catch (WireFormatException e) {
            passUp(frame);
            return;
        }
        int etherType = eth.etherType();
        long l3 = eth.payloadOffset();
        int l3Len = (int) (len - l3);
        boolean v6;
        long srcHi = 0;
        long srcLo;
        long dstHi = 0;
        long dstLo;
        long tcpOffset;
        int tcpLength;
        int ipTotal;
        if (etherType == EtherType.IPV4) {
            Ipv4View ip = rxV4;
            try {
                ip.wrap(frame, l3, l3Len).check();
            } catch (WireFormatException e) {
                passUp(frame); // spec §5.4.4: a corrupt IP header goes up uncounted (R-STAT-7)
                return;
            }
            // R-RXS-2 (other protocols), R-RXS-3 (options), R-RXS-4 (fragments, never reassembled here)
            if (ip.protocol() != IpProtocol.TCP || ip.hasOptions() || ip.isFragment() || !ip.checksumOk()) {
                passUp(frame);
                return;
            }
            v6 = false;
            srcLo = Integer.toUnsignedLong(ip.sourceBits());
            dstLo = Integer.toUnsignedLong(ip.destinationBits());
            tcpOffset = ip.upperOffset();
            tcpLength = ip.upperLength();
            ipTotal = ip.totalLength();
        } else if (etherType == EtherType.IPV6) {
            Ipv6View ip = rxV6;
            try {
                ip.wrap(frame, l3, l3Len).check();
            } catch (WireFormatException e) {
                passUp(frame);
                return;
            }
            if (ip.hasFragmentHeader() || ip.upperProtocol() != IpProtocol.TCP
                    || (ip.upperOffset() != l3 + Ipv6View.HEADER_LENGTH
                    && !target.enabled().supportIpv6ExtensionHeaders())) {
                passUp(frame);
                return;
            }
            v6 = true;
            srcHi = ip.sourceHi();
            srcLo = ip.sourceLo();
            dstHi = ip.destinationHi();
            dstLo = ip.destinationLo();
            tcpOffset = ip.upperOffset();
            tcpLength = ip.upperLength();
            ipTotal = Ipv6View.HEADER_LENGTH + ip.payloadLength();
        } else {
            passUp(frame); // ARP and everything else (R-RXS-2)
            return;
        }
        if (tcpLength < TcpView.HEADER_LENGTH) {
            passUp(frame);
            return;
        }
        int srcPort = Bytes.u16(frame, tcpOffset + TcpView.SRC_PORT_OFFSET);
        int dstPort = Bytes.u16(frame, tcpOffset + TcpView.DST_PORT_OFFSET);
        TargetConnection c = target.flows.find(v6, dstHi, dstLo, dstPort, srcHi, srcLo, srcPort);
        if (c == null || !c.processesInput()) {
            passUp(frame); // unknown tuple, terminate pending or done (R-TERM-7/8), CLOSED (R-FIN-3)
            return;
        }
        if (c.holding) {
            if (!c.hold(frame)) {
                droppedHeldOverflow++;
                counters.ip(v6, OffloadCounters.IN_DISCARDS);
            }
            return;
        }
        TargetNeighbor n = c.path.neighbor;
        int vlan = n.constants.vlanId();
        // R-VLAN-4: a neighbor with a VLAN accepts only frames tagged with it; VLAN 0 filters nothing
        if (vlan != 0 && (!eth.hasVlanTag() || eth.vlanId() != vlan)) {
            droppedVlan++;
            return;
        }
        if (eth.destinationBits() != n.sourceMac) {
            passUp(frame); // not addressed to this connection's MAC (R-STATE-6): the host decides
            return;
        }
        TcpView v = rxTcp;
        try {
            v.wrap(frame, tcpOffset, tcpLength).check();
        } catch (WireFormatException e) {
            passUp(frame); // spec §5.4.4: a corrupt TCP header goes up uncounted (R-STAT-6)
            return;
        }
        if (link.rxChecksumState() == NetworkPort.RX_CHECKSUM_UNKNOWN) {
            int pseudo = v6 ? Checksum.pseudoHeaderV6(srcHi, srcLo, dstHi, dstLo, IpProtocol.TCP, tcpLength)
                    : Checksum.pseudoHeaderV4((int) srcLo, (int) dstLo, IpProtocol.TCP, tcpLength);
            if (!v.checksumOk(pseudo)) {
                passUp(frame);
                return;
            }
        }
        if (v.headerLen() > TcpView.HEADER_LENGTH) {
            try {
                v.readOptions(rxOptions);
            } catch (WireFormatException e) {
                passUp(frame);
                return;
            }
        } else {
            rxOptions.clear();
        }
        counters.ip(v6, OffloadCounters.IN_RECEIVES);
        counters.ip(v6, OffloadCounters.IN_OCTETS, ipTotal);
        counters.tcp(v6, OffloadCounters.TCP_IN_SEGMENTS);
        TcpSegment seg = fill(v, rxOptions, rxSegment, frame, tcpOffset, tcpLength);
        if (link.rxSegmentBytes() > 0) {
            seg.segmentBytes(link.rxSegmentBytes());
        }
        switch (c.screen(seg)) {
            case TargetConnection.SCREEN_HOLD -> {
                if (!c.hold(frame)) {
                    droppedHeldOverflow++;
                }
            }
            case TargetConnection.SCREEN_DROP -> {
                droppedUrgentInvalid++;
                counters.tcp(v6, OffloadCounters.TCP_IN_ERRORS);
            }
            default -> {
                counters.ip(v6, OffloadCounters.IN_DELIVERS);
                c.input(seg);
            }
        }
    }

    /**
     * Fills {@code seg} from a checked TCP view and its parsed options, payload pointing into {@code memory}. Shared
     * with forwarded segments (spec §4.7), which arrive without an IP header.
     */
    static TcpSegment fill(TcpView v, TcpOptions o, TcpSegment seg, MemorySegment memory, long offset, int length) {
        seg.clear();
        seg.sourcePort(v.srcPort()).destinationPort(v.dstPort()).seq(v.seqNumber()).ack(v.ackNumber())
                .flags(v.flags()).window(v.window()).urgentPointer(v.urgentPointer());
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
        int headerLen = v.headerLen();
        seg.payload(memory, offset + headerLen, length - headerLen);
        return seg;
    }

    // ============================================================================================== transmit

    @Override
    public void transmit(IpAddress source, IpAddress destination, TcpSegment seg, TcpCached ipParams) {
        boolean v6 = !source.isIpv4();
        long srcHi = 0;
        long srcLo;
        long dstHi = 0;
        long dstLo;
        if (v6) {
            Ipv6Address s = (Ipv6Address) source;
            Ipv6Address d = (Ipv6Address) destination;
            srcHi = s.hi();
            srcLo = s.lo();
            dstHi = d.hi();
            dstLo = d.lo();
        } else {
            srcLo = Integer.toUnsignedLong(((Ipv4Address) source).bits());
            dstLo = Integer.toUnsignedLong(((Ipv4Address) destination).bits());
        }
        TargetConnection c = target.flows.find(v6, srcHi, srcLo, seg.sourcePort(), dstHi, dstLo,
                seg.destinationPort());
        if (c == null) {
            counters.ip(v6, OffloadCounters.OUT_NO_ROUTES); // no offloaded path for it (spec §5.4.2)
            return;
        }
        if (!c.mayTransmit()) {
            counters.ip(v6, OffloadCounters.OUT_DISCARDS); // invalidated (R-INV-2) or held for an upload
            return;
        }
        TargetPath path = c.path;
        TargetNeighbor n = path.neighbor;
        target.reachabilityCheck(n); // spec §5.2.3: before each datagram
        TcpCached cached = ipParams != null ? ipParams : c.engine.cached();

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
        int tcpHeader = TcpView.HEADER_LENGTH + o.length();
        int payload = seg.payloadLength();
        int ipHeader = v6 ? Ipv6View.HEADER_LENGTH : Ipv4View.HEADER_LENGTH;
        int ipLen = ipHeader + tcpHeader + payload;
        // A TSO super-segment is cut by the link into segmentBytes pieces, each within the path MTU (R-SEND-9)
        int pieceBytes = seg.segmentBytes() > 0 ? seg.segmentBytes() : payload;
        int pieceLimit = Math.min(path.pathMtu, link.mtu());
        if (ipHeader + tcpHeader + pieceBytes > pieceLimit
                || (seg.segmentBytes() > 0 && EthernetView.TAGGED_HEADER_LENGTH + ipLen > link.offloads().tsoMaxBytes())) {
            counters.ip(v6, OffloadCounters.OUT_DISCARDS); // never fragment (R-SEND-9); the engine re-segments
            return;
        }
        int pieces = seg.segmentBytes() > 0 ? (payload + pieceBytes - 1) / pieceBytes : 1;
        // spec §6.12 transmit table: tag when the neighbor has a VLAN or (with 802.1p) the priority is non-zero
        int vlan = n.constants.vlanId();
        int priority = target.enabled().supports8021p() ? cached.userPriority() : 0;
        boolean tagged = vlan != 0 || priority != 0;
        MemorySegment f = txBuffer;
        EthernetView eth = txEth.wrap(f, 0, EthernetView.TAGGED_HEADER_LENGTH);
        eth.destinationBits(n.destinationMac).sourceBits(n.sourceMac);
        if (tagged) {
            eth.vlanTag(priority, false, vlan); // CFI/DEI always 0
        } else {
            eth.untagged();
        }
        eth.etherType(v6 ? EtherType.IPV6 : EtherType.IPV4);
        int l2 = tagged ? EthernetView.TAGGED_HEADER_LENGTH : EthernetView.HEADER_LENGTH;
        int tcpLen = tcpHeader + payload;
        int pseudo;
        if (v6) {
            txV6.wrap(f, l2, ipLen).versionTrafficClassFlowLabel(cached.tosOrTrafficClass(), cached.flowLabel())
                    .payloadLength(tcpLen).nextHeader(IpProtocol.TCP).hopLimit(cached.ttlOrHopLimit())
                    .source(srcHi, srcLo).destination(dstHi, dstLo);
            pseudo = Checksum.pseudoHeaderV6(srcHi, srcLo, dstHi, dstLo, IpProtocol.TCP, tcpLen);
        } else {
            // the link numbers a super-segment's pieces id, id+1, ...: keep them all in the target's half
            if ((nextIpv4Id & 0x7FFF) + pieces > 0x8000) {
                nextIpv4Id = 0;
            }
            int id = IPV4_ID_TARGET_HALF | (nextIpv4Id & 0x7FFF);
            nextIpv4Id += pieces;
            txV4.wrap(f, l2, ipLen).versionAndHeaderLen(Ipv4View.HEADER_LENGTH).tos(cached.tosOrTrafficClass())
                    .totalLength(ipLen).identification(id).fragment(true, false, 0).ttl(cached.ttlOrHopLimit())
                    .protocol(IpProtocol.TCP).sourceBits((int) srcLo).destinationBits((int) dstLo).fillChecksum();
            pseudo = Checksum.pseudoHeaderV4((int) srcLo, (int) dstLo, IpProtocol.TCP, tcpLen);
        }
        long off = l2 + ipHeader;
        TcpView v = txTcp.wrap(f, off, tcpLen);
        v.srcPort(seg.sourcePort()).dstPort(seg.destinationPort()).seqNumber(seg.seq()).ackNumber(seg.ack());
        v.writeOptions(o, seg.flags());
        v.window(seg.window()).urgentPointer(seg.urgentPointer());
        if (payload > 0) {
            MemorySegment.copy(seg.payloadMemory(), seg.payloadOffset(), f, off + tcpHeader, payload);
        }
        boolean sent;
        int frameLen = l2 + ipLen;
        if (link.offloads().txChecksum()) {
            // The link completes the checksum (and cuts a super-segment): the folded pseudo-header sum stays in the
            // field, as the host's IP layer leaves it (virtio NEEDS_CSUM).
            Bytes.u16(f, off + TcpView.CHECKSUM_OFFSET, pseudo);
            sent = link.transmitSegmented(slice(frameLen), v6, (int) off, (int) off + tcpHeader,
                    Math.max(1, pieceBytes));
        } else {
            v.fillChecksum(pseudo);
            frameLen = Math.max(60, frameLen);
            for (int i = l2 + ipLen; i < frameLen; i++) {
                txBytes[i] = 0; // Ethernet minimum frame padding
            }
            sent = link.transmit(slice(frameLen));
        }
        if (!sent) {
            counters.ip(v6, OffloadCounters.OUT_DISCARDS);
            return;
        }
        // spec §5.4.2: datagrams (and their octets) as they go on the wire, a super-segment's pieces each counted
        counters.ip(v6, OffloadCounters.OUT_REQUESTS, pieces);
        counters.ip(v6, OffloadCounters.OUT_OCTETS, ipLen + (long) (pieces - 1) * (ipHeader + tcpHeader));
        countSegments(c, v6, seg, pieces, pieceBytes);
    }

    /**
     * R-STAT-3 / R-STAT-4: OutSegments without pure retransmissions, RetransmittedSegments, OutResets; a
     * super-segment counts as the pieces the link cuts it into.
     */
    private void countSegments(TargetConnection c, boolean v6, TcpSegment seg, int pieces, int pieceBytes) {
        if (seg.has(TcpFlags.RST)) {
            counters.tcp(v6, OffloadCounters.TCP_OUT_RESETS);
        }
        int first = seg.seq();
        int payload = seg.payloadLength();
        boolean fin = seg.has(TcpFlags.FIN);
        if (payload == 0 && !fin) {
            counters.tcp(v6, OffloadCounters.TCP_OUT_SEGMENTS); // a control segment carries no old bytes
            return;
        }
        for (int i = 0; i < pieces; i++) {
            int start = first + i * pieceBytes;
            boolean last = i == pieces - 1;
            int end = last ? first + payload + (fin ? 1 : 0) : start + pieceBytes; // FIN rides on the last piece
            if (Seq.lt(start, c.highestSent)) {
                counters.tcp(v6, OffloadCounters.TCP_RETRANSMITTED);
            }
            if (Seq.gt(end, c.highestSent)) {
                counters.tcp(v6, OffloadCounters.TCP_OUT_SEGMENTS);
                c.highestSent = end;
            }
        }
    }

    private MemorySegment slice(int len) {
        MemorySegment s = txSlices[len];
        if (s == null) {
            s = txBuffer.asSlice(0, len);
            txSlices[len] = s;
        }
        return s;
    }

    @Override
    public void forwardProgress(IpAddress source, IpAddress destination, long nowNs) {
        // forward progress is noted per acknowledgment by the connection itself (spec §5.2.2)
    }

    @Override
    public int pathMtu(IpAddress source, IpAddress destination) {
        return link.mtu();
    }

    /**
     * With a link that segments (a TAP opened with TSO) the target's engine sends super-segments too, as the host's
     * does through its IP layer: the largest TCP data that fits the link's limit with a tagged Ethernet header, the IP
     * header and the largest TCP header; 0 without TSO.
     */
    @Override
    public int segmentationOffloadBytes(IpAddress source, IpAddress destination) {
        LinkOffloads o = link.offloads();
        if (!o.tso()) {
            return 0;
        }
        boolean v4 = destination.isIpv4();
        int ipHeader = v4 ? Ipv4View.HEADER_LENGTH : Ipv6View.HEADER_LENGTH;
        int byIp = v4 ? 0xFFFF - ipHeader : 0xFFFF; // IPv4 total length / IPv6 payload length
        int bytes = Math.min(o.tsoMaxBytes() - EthernetView.TAGGED_HEADER_LENGTH - ipHeader, byIp);
        return bytes > TcpView.MAX_HEADER_LENGTH ? bytes - TcpView.MAX_HEADER_LENGTH : 0;
    }
}
