package dev.chimney.ip;

import dev.chimney.link.FrameSink;
import dev.chimney.link.LinkOffloads;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Pollable;
import dev.chimney.runtime.SeededRandom;
import dev.chimney.wire.ArpView;
import dev.chimney.wire.Bytes;
import dev.chimney.wire.Checksum;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.Icmpv4View;
import dev.chimney.wire.Icmpv6View;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv4View;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.Ipv6View;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.WireFormatException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The framing and path layers of one event loop: Ethernet (+802.1Q), ARP, IPv4, IPv6 with extension headers and
 * fragment reassembly, ICMPv4, ICMPv6 with Neighbor Discovery, routes, neighbor and path caches.
 *
 * <p>Receive: the stack is a {@link Pollable} registered on its loop; each turn it takes a batch of frames from every
 * attached port, validates them layer by layer and hands transport payloads to the {@link TransportHandler}
 * registered for the protocol. Every malformed or unwanted frame is counted in {@link #counters()} by reason and
 * dropped; no parse error leaves the loop.
 *
 * <p>Transmit: {@link #beginSend} routes a destination and returns the stack's reusable {@link Outbound} buffer with
 * room reserved for the Ethernet and IP headers; the transport writes its header and data at
 * {@link Outbound#payloadOffset()} and calls {@link Outbound#commit}, which fills in the IP header, checksum and
 * Ethernet header and transmits, or queues the frame in the neighbor entry while the next hop resolves. Nothing is
 * allocated per packet on this path.
 *
 * <p>Owned by one loop: call every method from that loop's thread.
 */
public final class IpStack implements Pollable {
    // ICMPv4 (RFC 792) types.
    static final int ICMP4_ECHO_REPLY = Icmpv4View.TYPE_ECHO_REPLY;
    static final int ICMP4_DEST_UNREACHABLE = Icmpv4View.TYPE_DEST_UNREACHABLE;
    static final int ICMP4_REDIRECT = 5;
    static final int ICMP4_ECHO_REQUEST = Icmpv4View.TYPE_ECHO_REQUEST;
    static final int ICMP4_TIME_EXCEEDED = Icmpv4View.TYPE_TIME_EXCEEDED;
    static final int ICMP4_PARAMETER_PROBLEM = 12;
    // ICMPv6 (RFC 4443, RFC 4861) types.
    static final int ICMP6_DEST_UNREACHABLE = Icmpv6View.TYPE_DEST_UNREACHABLE;
    static final int ICMP6_PACKET_TOO_BIG = Icmpv6View.TYPE_PACKET_TOO_BIG;
    static final int ICMP6_TIME_EXCEEDED = Icmpv6View.TYPE_TIME_EXCEEDED;
    static final int ICMP6_PARAMETER_PROBLEM = Icmpv6View.TYPE_PARAMETER_PROBLEM;
    static final int ICMP6_ECHO_REQUEST = Icmpv6View.TYPE_ECHO_REQUEST;
    static final int ICMP6_ECHO_REPLY = Icmpv6View.TYPE_ECHO_REPLY;
    /** Minimum Ethernet frame without FCS (IEEE 802.3: 64 bytes with FCS); shorter frames are zero-padded. */
    static final int MIN_FRAME_BYTES = 60;
    /** Largest Ethernet header we write: 14 + 802.1Q tag. */
    static final int MAX_LINK_HEADER = EthernetView.TAGGED_HEADER_LENGTH;

    private final EventLoop loop;
    private final IpStackConfig config;
    private final SeededRandom random;
    private final IpCounters counters = new IpCounters();
    private final RouteTable routes = new RouteTable();
    private final PathCache paths;
    private final FragmentReassembler reassemblyV4;
    private final FragmentReassembler reassemblyV6;
    private final List<Link> links = new ArrayList<>();
    private final TransportHandler[] handlers = new TransportHandler[256];
    private final List<EchoListener> echoListeners = new ArrayList<>();

    // Reused flyweights and buffers: one set per stack, so receive and transmit allocate nothing per packet.
    private final EthernetView rxEth = new EthernetView();
    private final ArpView rxArp = new ArpView();
    private final Ipv4View rxV4 = new Ipv4View();
    private final Ipv6View rxV6 = new Ipv6View();
    private final Ipv4View quotedV4 = new Ipv4View();
    private final IpPacketInfo rxInfo = new IpPacketInfo();
    private final IpPacketInfo quotedInfo = new IpPacketInfo();
    private final EthernetView txEth = new EthernetView();
    private final Ipv4View txV4 = new Ipv4View();
    private final Ipv6View txV6 = new Ipv6View();
    private final ArpView txArp = new ArpView();
    private final Outbound outbound;
    private final NeighborDiscovery neighborDiscovery = new NeighborDiscovery(this);
    /** Control messages (ARP, NDP, ICMP errors/replies) are built here so they never clobber {@link #outbound}. */
    final MemorySegment controlBuffer;
    private final MemorySegment fragmentBuffer;
    /** Cached 0..n slices of the three transmit buffers, indexed by length (up to a 9000-byte jumbo frame). */
    /** Up to a 64 KiB TSO super-frame: the transport's frames are the ones that may be that large. */
    private final MemorySegment[] outboundSlices =
            new MemorySegment[MAX_LINK_HEADER + FragmentReassembler.MAX_DATAGRAM_BYTES + Ipv6View.HEADER_LENGTH + 1];
    private final MemorySegment[] controlSlices = new MemorySegment[9000 + MAX_LINK_HEADER + 1];
    private final MemorySegment[] fragmentSlices = new MemorySegment[9000 + MAX_LINK_HEADER + 1];
    private final long[] echoSentNs = new long[256];
    private final int[] echoSentKey = new int[256];
    private int nextIpv4Id;
    private int nextIpv6FragmentId;
    long nowNs;
    // Receive offload metadata of the frame being processed (NetworkPort.rxChecksumState / rxSegmentBytes).
    private int rxChecksumState;
    private int rxSegmentBytes;
    // The packet being dispatched to a transport handler, so the handler can report it unreachable.
    private Link rxLink;
    private MemorySegment rxFrame;
    private long rxIpOffset;
    private int rxIpLength;
    // ICMP error token bucket (RFC 4443 §2.4(f)).
    private double icmpTokens;
    private long icmpTokensAtNs;

    /**
     * Creates a stack on {@code loop} and registers it there as a {@link Pollable}.
     *
     * @param random the stack's random stream (NUD ReachableTime, IP identification start); fork it from the
     *               simulator's or the application's root seed
     */
    public IpStack(EventLoop loop, SeededRandom random, IpStackConfig config) {
        this.loop = loop;
        this.config = config;
        this.random = random;
        this.paths = new PathCache(loop.timers(), counters, config.pathMaxEntries(), config.pathMtuAgingNs());
        this.reassemblyV4 = new FragmentReassembler(true, config.reassemblyIpv4(), loop.timers(), counters);
        this.reassemblyV6 = new FragmentReassembler(false, config.reassemblyIpv6(), loop.timers(), counters);
        int bufferBytes = MAX_LINK_HEADER + FragmentReassembler.MAX_DATAGRAM_BYTES + Ipv6View.HEADER_LENGTH;
        // Native, so a port that hands frames to the kernel (a TAP) can pass this buffer as it is (writev(2) with
        // its own header) instead of copying every frame once more; freed with the stack (automatic arena).
        this.outbound = new Outbound(Arena.ofAuto().allocate(bufferBytes, 64));
        this.controlBuffer = MemorySegment.ofArray(new byte[bufferBytes]);
        this.fragmentBuffer = MemorySegment.ofArray(new byte[bufferBytes]);
        this.nextIpv4Id = random.nextInt(0x10000);
        this.nextIpv6FragmentId = random.nextInt();
        this.nowNs = loop.nowNs();
        this.reassemblyV4.timeoutListener((header, data) -> reassemblyTimedOut(true, header, data));
        this.reassemblyV6.timeoutListener((header, data) -> reassemblyTimedOut(false, header, data));
        this.icmpTokens = config.icmpErrorBurst();
        this.icmpTokensAtNs = nowNs;
        loop.register(this);
    }

    // ================================================================ configuration

    /**
     * Attaches a port as a new interface: adds its connected routes and creates its IPv4 and IPv6 neighbor caches.
     *
     * @return the interface (its index is the attachment order)
     */
    public NetInterface attach(NetworkPort port, InterfaceConfig interfaceConfig) {
        if (interfaceConfig.mtuBytes() > port.mtu()) {
            throw new IllegalArgumentException("interface " + interfaceConfig.name() + " MTU "
                    + interfaceConfig.mtuBytes() + " exceeds what port " + port.name() + " carries (" + port.mtu()
                    + "); lower InterfaceConfig.withMtu");
        }
        NetInterface iface = new NetInterface(links.size(), interfaceConfig);
        Link link = new Link(port, iface);
        links.add(link);
        routes.addConnected(iface);
        return iface;
    }

    /** Registers the handler for an IP protocol number (6 TCP, 17 UDP, ...), replacing any previous one. */
    public void register(int protocol, TransportHandler handler) {
        if (protocol < 0 || protocol > 255 || protocol == IpProtocol.ICMP || protocol == IpProtocol.ICMPV6) {
            throw new IllegalArgumentException("protocol must be 0..255 and not ICMP/ICMPv6 (handled by the stack), "
                    + "got " + protocol);
        }
        handlers[protocol] = handler;
    }

    public void addEchoListener(EchoListener listener) {
        echoListeners.add(listener);
    }

    public EventLoop loop() {
        return loop;
    }

    public IpCounters counters() {
        return counters;
    }

    public RouteTable routes() {
        return routes;
    }

    public PathCache paths() {
        return paths;
    }

    public List<NetInterface> interfaces() {
        List<NetInterface> out = new ArrayList<>();
        for (Link l : links) {
            out.add(l.iface);
        }
        return out;
    }

    /** The IPv4 (ARP) or IPv6 (NDP) neighbor cache of an interface. */
    public NeighborCache neighbors(NetInterface iface, boolean ipv6) {
        Link l = links.get(iface.index());
        return ipv6 ? l.ndp : l.arp;
    }

    public FragmentReassembler reassembler(boolean ipv6) {
        return ipv6 ? reassemblyV6 : reassemblyV4;
    }

    /**
     * Upper-layer forward-progress hint for the neighbor used to reach {@code remote} (RFC 4861 §7.3.1): TCP calls
     * it when an ACK acknowledges new data.
     */
    public void confirmReachable(IpAddress remote) {
        Route r = routes.lookup(remote);
        if (r != null) {
            neighbors(r.iface(), !remote.isIpv4()).confirmReachable(r.nextHop(remote), loop.nowNs());
        }
    }

    /**
     * The neighbor entry used to reach {@code remote} (its next hop), or null when there is no route or the next hop
     * has never been resolved. The chimney layer snapshots it as the neighbor state object (spec §2.3).
     */
    public NeighborEntry neighborFor(IpAddress remote) {
        Route r = routes.lookup(remote);
        return r == null ? null : neighbors(r.iface(), !remote.isIpv4()).lookup(r.nextHop(remote));
    }

    /**
     * The path entry towards {@code remote}, created if absent (spec §2.4 path state object), or null when there is
     * no route or no source address.
     */
    public PathEntry pathFor(IpAddress remote) {
        Route r = routes.lookup(remote);
        IpAddress src = r == null ? null : r.sourceFor(remote);
        return src == null ? null : paths.getOrCreate(src, remote, r.effectiveMtuBytes());
    }

    /**
     * The largest TCP message (header + data) one super-segment towards {@code remote} may carry through the
     * interface's segmentation offload ({@link Outbound#maxSegmentedPayloadBytes()}), or 0 when the route's port has
     * no TSO or there is no route. TCP sizes its super-segments from it when a connection is created.
     */
    public int segmentationOffloadBytes(IpAddress remote) {
        Route r = routes.lookup(remote);
        if (r == null) {
            return 0;
        }
        Link link = links.get(r.iface().index());
        LinkOffloads o = link.port.offloads();
        if (!o.tso()) {
            return 0;
        }
        int linkHeader = link.iface.tagsFrames() ? EthernetView.TAGGED_HEADER_LENGTH : EthernetView.HEADER_LENGTH;
        int ipHeader = remote.isIpv4() ? Ipv4View.HEADER_LENGTH : Ipv6View.HEADER_LENGTH;
        int byIp = remote.isIpv4() ? 0xFFFF - ipHeader : 0xFFFF;
        return Math.max(0, Math.min(o.tsoMaxBytes() - linkHeader - ipHeader, byIp));
    }

    /** The path MTU towards {@code remote}: the cached PMTU, else the route's MTU; 0 when there is no route. */
    public int pathMtu(IpAddress remote) {
        Route r = routes.lookup(remote);
        return r == null ? 0 : paths.pathMtu(remote, r.effectiveMtuBytes());
    }

    // ================================================================ receive

    @Override
    public int poll(long pollNowNs, int budget) {
        this.nowNs = pollNowNs;
        int work = 0;
        for (int i = 0; i < links.size(); i++) {
            Link l = links.get(i);
            work += l.port.receive(l, budget);
        }
        return work;
    }

    @Override
    public long nextWorkNs() {
        long t = Long.MAX_VALUE;
        for (int i = 0; i < links.size(); i++) {
            t = Math.min(t, links.get(i).port.nextArrivalNs());
        }
        return t;
    }

    /** Processes one received frame as if it arrived on {@code iface} (tests and custom ports use it directly). */
    public void receiveFrame(NetInterface iface, MemorySegment frame) {
        receiveFrame(iface, frame, NetworkPort.RX_CHECKSUM_UNKNOWN, 0);
    }

    /**
     * As {@link #receiveFrame(NetInterface, MemorySegment)} with the receive-offload metadata a port would give
     * ({@link NetworkPort#rxChecksumState()}, {@link NetworkPort#rxSegmentBytes()}), for tests and custom ports.
     */
    public void receiveFrame(NetInterface iface, MemorySegment frame, int checksumState, int segmentBytes) {
        Link link = links.get(iface.index());
        rxChecksumState = checksumState;
        rxSegmentBytes = segmentBytes;
        onFrame(link, frame);
    }

    private void onFrame(Link link, MemorySegment frame) {
        counters.increment(IpCounter.FRAMES_RECEIVED);
        try {
            receiveEthernet(link, frame);
        } catch (WireFormatException e) {
            // The layer that was parsing when the view rejected the bytes names the drop (set before each check()).
            counters.increment(currentLayerDrop);
        } catch (IndexOutOfBoundsException e) {
            // A length field the views accepted still pointed outside the frame: a bug's symptom, but input must
            // never take the loop down. Counted so tests notice.
            counters.increment(IpCounter.RX_DROP_BOUNDS);
        }
    }

    /** Drop counter for a {@link WireFormatException} from the layer being parsed now. */
    private IpCounter currentLayerDrop = IpCounter.FRAME_DROP_TRUNCATED;

    private void receiveEthernet(Link link, MemorySegment frame) throws WireFormatException {
        currentLayerDrop = IpCounter.FRAME_DROP_TRUNCATED;
        EthernetView eth = rxEth.wrap(frame).check();
        NetInterface iface = link.iface;
        if (!iface.acceptsMac(eth.destinationBits())) {
            counters.increment(IpCounter.FRAME_DROP_NOT_FOR_US);
            return;
        }
        // Spec §6.12 receive filtering: a VLAN interface takes only its VID; an untagged interface takes untagged
        // and priority-tagged (VID 0) frames.
        if (eth.vlanId() != iface.vlanId() || iface.vlanId() != 0 && !eth.hasVlanTag()) {
            counters.increment(IpCounter.FRAME_DROP_VLAN);
            return;
        }
        long off = eth.payloadOffset();
        long len = eth.payloadLength();
        switch (eth.etherType()) {
            case EtherType.ARP -> receiveArp(link, frame, off, len);
            case EtherType.IPV4 -> receiveIpv4(link, frame, off, len);
            case EtherType.IPV6 -> receiveIpv6(link, frame, off, len);
            default -> counters.increment(IpCounter.FRAME_DROP_ETHERTYPE);
        }
    }

    // ---------------------------------------------------------------- ARP (RFC 826)

    private void receiveArp(Link link, MemorySegment frame, long off, long len) throws WireFormatException {
        counters.increment(IpCounter.ARP_RECEIVED);
        currentLayerDrop = IpCounter.ARP_DROP_MALFORMED;
        ArpView arp = rxArp.wrap(frame, off, len).check();
        int op = arp.operation();
        long senderMac = arp.senderMacBits();
        int senderIp = arp.senderIpBits();
        int targetIp = arp.targetIpBits();
        if (op != ArpView.OPERATION_REQUEST && op != ArpView.OPERATION_REPLY
                || (senderMac & 0x0100_0000_0000L) != 0) {
            counters.increment(IpCounter.ARP_DROP_MALFORMED);
            return;
        }
        NetInterface iface = link.iface;
        if (iface.isOwnIpv4(senderIp) && senderMac != iface.mac().bits()) {
            return; // someone else claims our address (RFC 5227 conflict); never learn it as a neighbor
        }
        boolean targetIsUs = iface.isOwnIpv4(targetIp);
        if (senderIp != 0) { // sender 0.0.0.0 is an RFC 5227 probe: nothing to learn
            Ipv4Address sender = new Ipv4Address(senderIp);
            MacAddress mac = new MacAddress(senderMac);
            NeighborEntry e = link.arp.lookup(sender);
            if (op == ArpView.OPERATION_REPLY && targetIsUs && e != null) {
                // A reply addressed to us answers our request: confirmation, with override (RFC 826 merge).
                link.arp.onAdvertisement(sender, mac, true, true, nowNs);
            } else {
                // RFC 826: update an existing entry ("merge"); add a new one only when we are the target.
                link.arp.onLinkAddressHint(sender, mac, targetIsUs, nowNs);
            }
        }
        if (op == ArpView.OPERATION_REQUEST && targetIsUs) {
            sendArp(link, ArpView.OPERATION_REPLY, senderMac, targetIp, senderMac, senderIp);
            counters.increment(IpCounter.ARP_REQUESTS_ANSWERED);
        }
    }

    private void sendArp(Link link, int op, long ethDst, int senderIp, long targetMac, int targetIp) {
        MemorySegment f = controlBuffer;
        int l2 = writeEthernet(link.iface, f, ethDst, EtherType.ARP);
        txArp.wrap(f, l2, ArpView.LENGTH).ethernetIpv4().operation(op).senderMacBits(link.iface.mac().bits())
                .senderIpBits(senderIp).targetMacBits(targetMac).targetIpBits(targetIp);
        transmit(link, f, l2 + ArpView.LENGTH);
    }

    // ---------------------------------------------------------------- IPv4 (RFC 791, RFC 1122 §3.2.1)

    private void receiveIpv4(Link link, MemorySegment frame, long off, long len) throws WireFormatException {
        counters.increment(IpCounter.IPV4_RECEIVED);
        currentLayerDrop = IpCounter.IPV4_DROP_MALFORMED;
        Ipv4View ip = rxV4.wrap(frame, off, len).check();
        if (!ip.checksumOk()) {
            counters.increment(IpCounter.IPV4_DROP_CHECKSUM);
            return;
        }
        NetInterface iface = link.iface;
        int dst = ip.destinationBits();
        int src = ip.sourceBits();
        if (!iface.acceptsIpv4(dst)) {
            counters.increment(IpCounter.IPV4_DROP_NOT_FOR_US);
            return;
        }
        if ((src >>> 28) == 0xE || src == -1 || iface.isOwnIpv4(src) && src != 0) {
            // RFC 1122 §3.2.1.3: a source must be a unicast address (and not ours: a looped or spoofed packet).
            counters.increment(IpCounter.IPV4_DROP_BAD_SOURCE);
            return;
        }
        IpPacketInfo info = rxInfo;
        info.setV4(src, dst, ip.protocol(), ip.ttl(), ip.tos(), iface.index());
        info.dstMulticast = !iface.isOwnIpv4(dst);
        int protocol = ip.protocol();
        MemorySegment seg = frame;
        long pOff = ip.upperOffset();
        int pLen = ip.upperLength();
        if (ip.isFragment()) {
            FragmentReassembler.Result r = reassemblyV4.offer(0, src & 0xFFFF_FFFFL, 0, dst & 0xFFFF_FFFFL, protocol,
                    ip.identification(), ip.fragmentOffsetBytes(), ip.moreFragments(), frame.asSlice(pOff, pLen),
                    ip.fragmentOffsetBytes() == 0 ? frame.asSlice(off, ip.headerLen()) : null, nowNs);
            if (r != FragmentReassembler.Result.COMPLETE) {
                return;
            }
            seg = reassemblyV4.completedPayload();
            pOff = 0;
            pLen = (int) seg.byteSize();
            info.reassembled = true;
        } else {
            applyRxOffload(info);
        }
        if (protocol == IpProtocol.ICMP) {
            receiveIcmpv4(link, info, seg.asSlice(pOff, pLen));
            return;
        }
        dispatch(link, info, seg, pOff, pLen, frame, off, (int) ip.length());
    }

    /**
     * Passes the port's checksum verdict and GSO segment size to the transport. Only an unfragmented packet
     * carries them: a reassembled one was checked piecewise by nobody, so the transport verifies it.
     */
    private void applyRxOffload(IpPacketInfo info) {
        info.checksumState = rxChecksumState;
        info.segmentBytes = rxSegmentBytes;
        if (rxSegmentBytes > 0) {
            counters.increment(IpCounter.SEGMENTED_FRAMES_RECEIVED);
        }
    }

    /** Hands a packet to its transport, remembering it so the handler may answer with an ICMP error. */
    private void dispatch(Link link, IpPacketInfo info, MemorySegment seg, long pOff, int pLen, MemorySegment frame,
            long ipOff, int ipLen) {
        rxLink = link;
        rxFrame = frame;
        rxIpOffset = ipOff;
        rxIpLength = ipLen;
        try {
            TransportHandler h = handlers[info.protocol];
            if (h == null) {
                counters.increment(IpCounter.PROTO_DROP_UNKNOWN);
                // RFC 1122 §3.2.2.1 (SHOULD) / RFC 4443 §3.4 code 1: tell the sender nobody speaks this protocol.
                sendUnreachable(IcmpErrorKind.PROTOCOL_UNREACHABLE);
                return;
            }
            h.onPacket(info, seg, pOff, pLen);
        } finally {
            rxFrame = null;
            rxLink = null;
        }
    }

    // ---------------------------------------------------------------- IPv6 (RFC 8200)

    private void receiveIpv6(Link link, MemorySegment frame, long off, long len) throws WireFormatException {
        counters.increment(IpCounter.IPV6_RECEIVED);
        currentLayerDrop = IpCounter.IPV6_DROP_MALFORMED;
        Ipv6View ip = rxV6.wrap(frame, off, len).check();
        NetInterface iface = link.iface;
        long dHi = ip.destinationHi();
        long dLo = ip.destinationLo();
        long sHi = ip.sourceHi();
        long sLo = ip.sourceLo();
        if (!iface.acceptsIpv6(dHi, dLo)) {
            counters.increment(IpCounter.IPV6_DROP_NOT_FOR_US);
            return;
        }
        if ((sHi >>> 56) == 0xFF || iface.isOwnIpv6(sHi, sLo)) {
            // RFC 4291 §2.7: multicast is never a source; our own address coming back is a loop or a spoof.
            counters.increment(IpCounter.IPV6_DROP_BAD_SOURCE);
            return;
        }
        IpPacketInfo info = rxInfo;
        info.setV6(sHi, sLo, dHi, dLo, ip.upperProtocol(), ip.hopLimit(), ip.trafficClass(), iface.index());
        info.dstMulticast = (dHi >>> 56) == 0xFF;
        int protocol = ip.upperProtocol();
        MemorySegment seg = frame;
        long pOff = ip.upperOffset();
        int pLen = ip.upperLength();
        if (ip.isFragment()) {
            // The fragmentable part starts right after the fragment header (RFC 8200 §4.5). The view's upper offset
            // is that place for every fragment except a first fragment that carries more extension headers, so
            // locate the fragment header explicitly.
            int fragRel = fragmentHeaderOffset(frame, off);
            int nextHeader = Bytes.u8(frame, off + fragRel);
            long dataOff = off + fragRel + Ipv6View.FRAGMENT_HEADER_LENGTH;
            int dataLen = (int) (off + ip.length() - dataOff);
            FragmentReassembler.Result r = reassemblyV6.offer(sHi, sLo, dHi, dLo, nextHeader,
                    ip.fragmentIdentification() & 0xFFFF_FFFFL, ip.fragmentOffsetBytes(), ip.moreFragments(),
                    frame.asSlice(dataOff, dataLen),
                    ip.fragmentOffsetBytes() == 0 ? frame.asSlice(off, dataOff - off) : null, nowNs);
            if (r != FragmentReassembler.Result.COMPLETE) {
                return;
            }
            info.reassembled = true;
            // The reassembled fragmentable part may begin with more extension headers (destination options,
            // routing): skip them to the upper layer.
            MemorySegment whole = reassemblyV6.completedPayload();
            protocol = reassemblyV6.completedProtocol();
            long skip = 0;
            while (protocol == IpProtocol.IPV6_DEST_OPTS || protocol == IpProtocol.IPV6_ROUTING) {
                if (whole.byteSize() - skip < 8) {
                    counters.increment(IpCounter.IPV6_DROP_MALFORMED);
                    return;
                }
                int extLen = (Bytes.u8(whole, skip + 1) + 1) * 8;
                protocol = Bytes.u8(whole, skip);
                skip += extLen;
                if (skip > whole.byteSize()) {
                    counters.increment(IpCounter.IPV6_DROP_MALFORMED);
                    return;
                }
            }
            seg = whole;
            pOff = skip;
            pLen = (int) (whole.byteSize() - skip);
            info.protocol = protocol;
        } else {
            applyRxOffload(info);
        }
        switch (protocol) {
            case IpProtocol.ICMPV6 -> receiveIcmpv6(link, info, seg.asSlice(pOff, pLen));
            case IpProtocol.IPV6_NO_NEXT -> {
                // RFC 8200 §4.7: nothing follows; silently done.
            }
            default -> dispatch(link, info, seg, pOff, pLen, frame, off, (int) ip.length());
        }
    }

    /** Offset of the fragment header from the IPv6 header start (the chain was validated by the view). */
    private static int fragmentHeaderOffset(MemorySegment frame, long ipOff) {
        int next = Bytes.u8(frame, ipOff + Ipv6View.NEXT_HEADER_OFFSET);
        int rel = Ipv6View.HEADER_LENGTH;
        while (next != IpProtocol.IPV6_FRAGMENT) {
            int extLen = (Bytes.u8(frame, ipOff + rel + 1) + 1) * 8;
            next = Bytes.u8(frame, ipOff + rel);
            rel += extLen;
        }
        return rel;
    }

    // ---------------------------------------------------------------- ICMPv4 (RFC 792, RFC 1122 §3.2.2)

    private void receiveIcmpv4(Link link, IpPacketInfo info, MemorySegment msg) {
        counters.increment(IpCounter.ICMP_RECEIVED);
        int len = (int) msg.byteSize();
        if (len < 8 || !Checksum.verify(msg, 0, len, 0)) {
            counters.increment(IpCounter.ICMP_DROP_MALFORMED);
            return;
        }
        int type = Bytes.u8(msg, 0);
        int code = Bytes.u8(msg, 1);
        switch (type) {
            case ICMP4_ECHO_REQUEST -> {
                if (info.dstMulticast && !config.echoReplyToMulticast()) {
                    return; // RFC 1122 §3.2.2.6: MAY silently ignore echo requests to broadcast/multicast
                }
                replyEchoV4(link, info, msg);
            }
            case ICMP4_ECHO_REPLY -> deliverEchoReply(info.sourceAddress(), msg, len);
            case ICMP4_DEST_UNREACHABLE -> {
                IcmpErrorKind kind = IcmpErrorKind.ofIcmpv4Unreachable(code);
                icmpv4Error(kind, msg, code == 4 ? Bytes.u16(msg, 6) : 0);
            }
            case ICMP4_TIME_EXCEEDED -> icmpv4Error(IcmpErrorKind.TIME_EXCEEDED, msg, 0);
            case ICMP4_PARAMETER_PROBLEM -> icmpv4Error(IcmpErrorKind.PARAMETER_PROBLEM, msg, 0);
            case ICMP4_REDIRECT -> redirectV4(link, info, msg);
            default -> {
                // Timestamp, information and obsolete types: recognised and ignored (RFC 6918 deprecates several).
            }
        }
    }

    private void replyEchoV4(Link link, IpPacketInfo req, MemorySegment msg) {
        int len = (int) msg.byteSize();
        // RFC 1122 §3.2.2.6: the reply's source is the request's specific destination; with a broadcast destination
        // we answer from the interface address.
        int src = link.iface.isOwnIpv4(req.destinationV4()) ? req.destinationV4()
                : link.iface.ipv4SourceFor(req.sourceAddress()).bits();
        Outbound out = beginSendInternal(new Ipv4Address(src), new Ipv4Address(req.sourceV4()), IpProtocol.ICMP,
                true);
        if (out == null || len > out.maxPayloadBytes()) {
            return;
        }
        MemorySegment seg = out.segment();
        long p = out.payloadOffset();
        MemorySegment.copy(msg, 0, seg, p, len);
        Bytes.u8(seg, p, ICMP4_ECHO_REPLY);
        Bytes.u8(seg, p + 1, 0);
        Bytes.u16(seg, p + 2, 0);
        Bytes.u16(seg, p + 2, Checksum.compute(seg, p, len));
        if (out.commit(len)) {
            counters.increment(IpCounter.ICMP_ECHO_REPLIES_SENT);
        }
    }

    private void icmpv4Error(IcmpErrorKind kind, MemorySegment msg, int nextHopMtu) {
        counters.increment(IpCounter.ICMP_ERRORS_RECEIVED);
        Ipv4View q = quotedV4.wrap(msg, 8, msg.byteSize() - 8);
        // The quote holds the original header and at least 8 bytes of its payload (RFC 792); its total length may
        // exceed what was quoted, so validate the header by hand instead of with check().
        if (msg.byteSize() < 8 + Ipv4View.HEADER_LENGTH || q.version() != 4 || q.headerLen() < 20
                || msg.byteSize() < 8 + q.headerLen() + 8) {
            counters.increment(IpCounter.ICMP_DROP_MALFORMED);
            return;
        }
        int qSrc = q.sourceBits();
        int qDst = q.destinationBits();
        if (!ownsIpv4(qSrc)) {
            counters.increment(IpCounter.ICMP_DROP_UNMATCHED); // RFC 5927 §4.3: quote must be from us
            return;
        }
        int mtu = 0;
        if (kind == IcmpErrorKind.PACKET_TOO_BIG) {
            Ipv4Address dst = new Ipv4Address(qDst);
            paths.onFragmentationNeeded(dst, nextHopMtu, q.totalLength(), nowNs);
            Route r = routes.lookup(dst);
            mtu = paths.pathMtu(dst, r != null ? r.effectiveMtuBytes() : Math.max(nextHopMtu, 68));
        }
        quotedInfo.setV4(qSrc, qDst, q.protocol(), q.ttl(), q.tos(), -1);
        TransportHandler h = handlers[q.protocol()];
        if (h != null) {
            h.onIcmpError(kind, quotedInfo, mtu, msg.asSlice(8 + q.headerLen()));
        }
    }

    private void redirectV4(Link link, IpPacketInfo info, MemorySegment msg) {
        if (msg.byteSize() < 8 + Ipv4View.HEADER_LENGTH) {
            counters.increment(IpCounter.ICMP_DROP_MALFORMED);
            return;
        }
        Ipv4Address gateway = new Ipv4Address(Bytes.u32(msg, 4));
        Ipv4Address dst = new Ipv4Address(Bytes.u32(msg, 8 + Ipv4View.DST_OFFSET));
        applyRedirect(link, info.sourceAddress(), dst, gateway, 32);
    }

    /**
     * Installs a host route after a redirect, only when it comes from the router we currently use for that
     * destination and names an on-link next hop (RFC 1122 §3.2.2.2; RFC 4861 §8.1).
     */
    boolean applyRedirect(Link link, IpAddress from, IpAddress dst, IpAddress newHop, int hostPrefix) {
        Route current = routes.lookup(dst);
        if (current == null || current.iface() != link.iface || !from.equals(current.gateway())) {
            return false;
        }
        IpAddress gateway = newHop.equals(dst) ? null : newHop;
        if (gateway != null && routes.onLinkInterface(gateway) != link.iface && !(gateway instanceof Ipv6Address g
                && g.isLinkLocal())) {
            return false;
        }
        routes.add(new Route(new IpCidr(dst, hostPrefix), gateway, link.iface, 0, 0, null, Route.Origin.REDIRECT));
        counters.increment(IpCounter.REDIRECTS_APPLIED);
        return true;
    }

    // ---------------------------------------------------------------- ICMPv6 (RFC 4443) and NDP (RFC 4861)

    private void receiveIcmpv6(Link link, IpPacketInfo info, MemorySegment msg) {
        counters.increment(IpCounter.ICMP_RECEIVED);
        int len = (int) msg.byteSize();
        int pseudo = Checksum.pseudoHeaderV6(info.srcHi, info.srcLo, info.dstHi, info.dstLo, IpProtocol.ICMPV6, len);
        if (len < 4 || !Checksum.verify(msg, 0, len, pseudo)) {
            counters.increment(IpCounter.ICMP_DROP_MALFORMED);
            return;
        }
        int type = Bytes.u8(msg, 0);
        int code = Bytes.u8(msg, 1);
        switch (type) {
            case ICMP6_ECHO_REQUEST -> {
                if (len < 8 || info.dstMulticast && !config.echoReplyToMulticast()) {
                    return;
                }
                replyEchoV6(link, info, msg);
            }
            case ICMP6_ECHO_REPLY -> {
                if (len >= 8) {
                    deliverEchoReply(info.sourceAddress(), msg, len);
                }
            }
            case ICMP6_DEST_UNREACHABLE -> icmpv6Error(IcmpErrorKind.ofIcmpv6Unreachable(code), msg, 0);
            case ICMP6_PACKET_TOO_BIG -> icmpv6Error(IcmpErrorKind.PACKET_TOO_BIG, msg,
                    len >= 8 ? Bytes.u32(msg, 4) & 0xFFFF_FFFFL : 0);
            case ICMP6_TIME_EXCEEDED -> icmpv6Error(IcmpErrorKind.TIME_EXCEEDED, msg, 0);
            case ICMP6_PARAMETER_PROBLEM -> icmpv6Error(code == 1 ? IcmpErrorKind.PROTOCOL_UNREACHABLE
                    : IcmpErrorKind.PARAMETER_PROBLEM, msg, 0);
            case NeighborDiscovery.ND_NEIGHBOR_SOLICIT, NeighborDiscovery.ND_NEIGHBOR_ADVERT,
                    NeighborDiscovery.ND_ROUTER_SOLICIT, NeighborDiscovery.ND_ROUTER_ADVERT,
                    NeighborDiscovery.ND_REDIRECT -> neighborDiscovery.receive(link, info, msg, type, code);
            default -> {
                // RFC 4443 §2.4(b): unknown informational messages are silently discarded.
            }
        }
    }

    private void replyEchoV6(Link link, IpPacketInfo req, MemorySegment msg) {
        int len = (int) msg.byteSize();
        Ipv6Address requester = new Ipv6Address(req.srcHi, req.srcLo);
        // RFC 4443 §4.2: reply from the unicast address the request was sent to; for a multicast request, from an
        // address of the interface chosen for the requester.
        Ipv6Address src = req.dstMulticast ? link.iface.ipv6SourceFor(requester)
                : new Ipv6Address(req.dstHi, req.dstLo);
        Outbound out = beginSendInternal(src, requester, IpProtocol.ICMPV6, true);
        if (out == null || len > out.maxPayloadBytes()) {
            return;
        }
        MemorySegment seg = out.segment();
        long p = out.payloadOffset();
        MemorySegment.copy(msg, 0, seg, p, len);
        Bytes.u8(seg, p, ICMP6_ECHO_REPLY);
        Bytes.u8(seg, p + 1, 0);
        Bytes.u16(seg, p + 2, 0);
        Bytes.u16(seg, p + 2, Checksum.finish(Checksum.add(Checksum.sum(seg, p, len), out.pseudoHeaderSum(len))));
        if (out.commit(len)) {
            counters.increment(IpCounter.ICMP_ECHO_REPLIES_SENT);
        }
    }

    private void icmpv6Error(IcmpErrorKind kind, MemorySegment msg, long reportedMtu) {
        counters.increment(IpCounter.ICMP_ERRORS_RECEIVED);
        if (msg.byteSize() < 8 + Ipv6View.HEADER_LENGTH + 8) {
            counters.increment(IpCounter.ICMP_DROP_MALFORMED);
            return;
        }
        long q = 8;
        long sHi = Bytes.u64(msg, q + Ipv6View.SRC_OFFSET);
        long sLo = Bytes.u64(msg, q + Ipv6View.SRC_OFFSET + 8);
        long dHi = Bytes.u64(msg, q + Ipv6View.DST_OFFSET);
        long dLo = Bytes.u64(msg, q + Ipv6View.DST_OFFSET + 8);
        if ((Bytes.u8(msg, q) >>> 4) != 6 || !ownsIpv6(sHi, sLo)) {
            counters.increment(IpCounter.ICMP_DROP_UNMATCHED); // RFC 5927 §4.3: quote must be from us
            return;
        }
        // Walk the quoted extension headers (as far as quoted) to the transport header.
        int next = Bytes.u8(msg, q + Ipv6View.NEXT_HEADER_OFFSET);
        long rel = q + Ipv6View.HEADER_LENGTH;
        while (next == IpProtocol.HOP_BY_HOP || next == IpProtocol.IPV6_ROUTING || next == IpProtocol.IPV6_DEST_OPTS
                || next == IpProtocol.IPV6_FRAGMENT) {
            if (rel + 8 > msg.byteSize()) {
                counters.increment(IpCounter.ICMP_DROP_MALFORMED);
                return;
            }
            int extLen = next == IpProtocol.IPV6_FRAGMENT ? 8 : (Bytes.u8(msg, rel + 1) + 1) * 8;
            next = Bytes.u8(msg, rel);
            rel += extLen;
        }
        Ipv6Address dst = new Ipv6Address(dHi, dLo);
        int mtu = 0;
        if (kind == IcmpErrorKind.PACKET_TOO_BIG) {
            paths.onPacketTooBig(dst, reportedMtu, nowNs);
            Route r = routes.lookup(dst);
            mtu = paths.pathMtu(dst, r != null ? r.effectiveMtuBytes() : PathCache.MIN_IPV6_PMTU);
        }
        quotedInfo.setV6(sHi, sLo, dHi, dLo, next, Bytes.u8(msg, q + Ipv6View.HOP_LIMIT_OFFSET), 0, -1);
        if (rel > msg.byteSize() || next > 255) {
            return;
        }
        TransportHandler h = handlers[next];
        if (h != null) {
            h.onIcmpError(kind, quotedInfo, mtu, msg.asSlice(rel));
        }
    }

    // ---------------------------------------------------------------- announcements

    /**
     * Announces the interface's addresses so neighbors update their caches at once, e.g. after the MAC behind
     * them changed (a failover to another NIC): a gratuitous ARP request per IPv4 address (RFC 5227 §3, RFC 826
     * merge) and an unsolicited Neighbor Advertisement with the override flag to all-nodes per IPv6 address
     * (RFC 4861 §7.2.6).
     */
    public void announce(NetInterface iface) {
        nowNs = loop.nowNs();
        Link link = links.get(iface.index());
        for (IpCidr c : iface.ipv4()) {
            int ip = ((Ipv4Address) c.address()).bits();
            sendArp(link, ArpView.OPERATION_REQUEST, MacAddress.BROADCAST.bits(), ip, 0L, ip);
        }
        for (IpCidr c : iface.ipv6()) {
            Ipv6Address a = (Ipv6Address) c.address();
            neighborDiscovery.sendNeighborAdvert(link, a.hi(), a.lo(), Ipv6Address.ALL_NODES, false, -1);
        }
        neighborDiscovery.sendMldReport(link);
    }

    /**
     * Reports our solicited-node groups with an MLDv2 report (RFC 3810 §5.2; RFC 4861 §7.2.1 requires joining them
     * so that MLD-snooping switches forward neighbor solicitations to us): one CHANGE_TO_EXCLUDE record with no
     * sources per group, sent to ff02::16 with hop limit 1 and a Router Alert hop-by-hop option (RFC 3810 §5).
     */
    public void sendMldReport(NetInterface iface) {
        nowNs = loop.nowNs();
        neighborDiscovery.sendMldReport(links.get(iface.index()));
    }

    // ---------------------------------------------------------------- ICMP errors we originate

    /**
     * Reports the packet now being delivered to a {@link TransportHandler} as undeliverable: a UDP handler calls
     * it with {@link IcmpErrorKind#PORT_UNREACHABLE} when no socket is bound (RFC 1122 §4.1.3.1). Only valid during
     * {@link TransportHandler#onPacket}. No error is sent about broadcast/multicast destinations, unspecified or
     * multicast sources, or reassembled datagrams, and errors are rate limited (RFC 1122 §3.2.2, RFC 4443 §2.4(e,f)).
     *
     * @return true if an error was sent
     */
    public boolean sendUnreachable(IcmpErrorKind kind) {
        if (kind != IcmpErrorKind.PORT_UNREACHABLE && kind != IcmpErrorKind.PROTOCOL_UNREACHABLE) {
            throw new IllegalArgumentException("a host reports only port or protocol unreachable, got " + kind);
        }
        if (rxFrame == null) {
            throw new IllegalStateException("sendUnreachable is only valid inside TransportHandler.onPacket");
        }
        IpPacketInfo info = rxInfo;
        if (info.dstMulticast || info.reassembled || info.srcHi == 0 && info.srcLo == 0
                || info.version == 4 && ((info.srcLo >>> 28) == 0xE)
                || info.version == 6 && (info.srcHi >>> 56) == 0xFF) {
            return false;
        }
        if (!takeIcmpToken()) {
            counters.increment(IpCounter.ICMP_ERRORS_RATE_LIMITED);
            return false;
        }
        boolean v4 = info.version == 4;
        int type;
        int code;
        int word = 0;
        if (v4) {
            type = ICMP4_DEST_UNREACHABLE;
            code = kind == IcmpErrorKind.PORT_UNREACHABLE ? 3 : 2;
        } else if (kind == IcmpErrorKind.PORT_UNREACHABLE) {
            type = ICMP6_DEST_UNREACHABLE;
            code = 4;
        } else {
            type = ICMP6_PARAMETER_PROBLEM;
            code = 1;
            // Pointer to the offending next header field (RFC 4443 §3.4): that of the last header before the
            // upper layer; for a packet without extension headers, the fixed header's field at offset 6.
            word = rxV6.upperOffset() - rxIpOffset == Ipv6View.HEADER_LENGTH ? Ipv6View.NEXT_HEADER_OFFSET
                    : (int) (lastExtensionHeaderOffset() - rxIpOffset);
        }
        return sendIcmpError(info.destinationAddress(), info.sourceAddress(), type, code, word,
                rxFrame.asSlice(rxIpOffset, rxIpLength), null);
    }

    /**
     * Builds and sends one ICMP error from {@code ours} to {@code to}, quoting {@code quote} then {@code more} (may be
     * null) as far as a minimum-size datagram allows (RFC 1812 §4.3.2.3: 576 bytes; RFC 4443 §2.4(c): 1280).
     */
    private boolean sendIcmpError(IpAddress ours, IpAddress to, int type, int code, int word, MemorySegment quote,
            MemorySegment more) {
        boolean v4 = to.isIpv4();
        Outbound out = beginSendInternal(ours, to, v4 ? IpProtocol.ICMP : IpProtocol.ICMPV6, false);
        if (out == null) {
            return false;
        }
        int minimum = v4 ? 576 : 1280;
        int headerBytes = v4 ? Ipv4View.HEADER_LENGTH : Ipv6View.HEADER_LENGTH;
        int room = Math.min(minimum - headerBytes - 8, out.maxPayloadBytes() - 8);
        int q1 = (int) Math.min(quote.byteSize(), room);
        int q2 = more == null ? 0 : (int) Math.min(more.byteSize(), room - q1);
        MemorySegment seg = out.segment();
        long p = out.payloadOffset();
        Bytes.u8(seg, p, type);
        Bytes.u8(seg, p + 1, code);
        Bytes.u16(seg, p + 2, 0);
        Bytes.u32(seg, p + 4, word);
        MemorySegment.copy(quote, 0, seg, p + 8, q1);
        if (q2 > 0) {
            MemorySegment.copy(more, 0, seg, p + 8 + q1, q2);
        }
        int len = 8 + q1 + q2;
        int sum = Checksum.sum(seg, p, len);
        if (!v4) {
            sum = Checksum.add(sum, out.pseudoHeaderSum(len));
        }
        Bytes.u16(seg, p + 2, Checksum.finish(sum));
        boolean sent = out.commit(len);
        if (sent) {
            counters.increment(IpCounter.ICMP_ERRORS_SENT);
        }
        return sent;
    }

    /** RFC 8200 §4.5 / RFC 792 (type 11 code 1): reassembly of a datagram whose first fragment we hold timed out. */
    private void reassemblyTimedOut(boolean v4, MemorySegment header, MemorySegment data) {
        nowNs = loop.nowNs();
        IpAddress src;
        IpAddress dst;
        if (v4) {
            int s4 = Bytes.u32(header, Ipv4View.SRC_OFFSET);
            int d4 = Bytes.u32(header, Ipv4View.DST_OFFSET);
            if ((s4 >>> 28) == 0xE || s4 == 0 || s4 == -1 || !ownsIpv4(d4)) {
                return; // never about multicast/broadcast (RFC 1122 §3.2.2)
            }
            src = new Ipv4Address(s4);
            dst = new Ipv4Address(d4);
        } else {
            long sHi = Bytes.u64(header, Ipv6View.SRC_OFFSET);
            long dHi = Bytes.u64(header, Ipv6View.DST_OFFSET);
            long dLo = Bytes.u64(header, Ipv6View.DST_OFFSET + 8);
            if ((sHi >>> 56) == 0xFF || !ownsIpv6(dHi, dLo)) {
                return; // RFC 4443 §2.4(e)
            }
            src = new Ipv6Address(sHi, Bytes.u64(header, Ipv6View.SRC_OFFSET + 8));
            dst = new Ipv6Address(dHi, dLo);
        }
        if (!takeIcmpToken()) {
            counters.increment(IpCounter.ICMP_ERRORS_RATE_LIMITED);
            return;
        }
        sendIcmpError(dst, src, v4 ? ICMP4_TIME_EXCEEDED : ICMP6_TIME_EXCEEDED, 1, 0, header, data);
    }

    /** Offset of the next-header byte of the last extension header of the current IPv6 packet. */
    private long lastExtensionHeaderOffset() {
        long last = rxIpOffset + Ipv6View.NEXT_HEADER_OFFSET;
        int next = Bytes.u8(rxFrame, last);
        long rel = rxIpOffset + Ipv6View.HEADER_LENGTH;
        while (rel < rxV6.upperOffset()) {
            last = rel; // the next-header field is the first byte of every extension header
            int extLen = next == IpProtocol.IPV6_FRAGMENT ? 8 : (Bytes.u8(rxFrame, rel + 1) + 1) * 8;
            next = Bytes.u8(rxFrame, rel);
            rel += extLen;
        }
        return last;
    }

    private boolean takeIcmpToken() {
        long elapsed = nowNs - icmpTokensAtNs;
        icmpTokensAtNs = nowNs;
        icmpTokens = Math.min(config.icmpErrorBurst(), icmpTokens + elapsed * config.icmpErrorsPerSecond() / 1e9);
        if (icmpTokens >= 1) {
            icmpTokens -= 1;
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- echo (ping)

    /**
     * Sends an ICMP (IPv4) or ICMPv6 echo request with {@code payloadBytes} bytes of patterned data. Replies go to
     * the {@link EchoListener}s. Payloads larger than the path MTU are fragmented (echo is the one thing this host
     * fragments: RFC 8200 §5 lets a source fragment when it knows no better, and ping is how users test that path).
     *
     * @return false when there is no route or source address (counted)
     */
    public boolean sendEchoRequest(IpAddress dst, int identifier, int sequence, int payloadBytes) {
        nowNs = loop.nowNs();
        boolean v4 = dst.isIpv4();
        Outbound out = beginSendInternal(null, dst, v4 ? IpProtocol.ICMP : IpProtocol.ICMPV6, true);
        if (out == null) {
            return false;
        }
        int len = 8 + payloadBytes;
        if (len > out.maxPayloadBytes()) {
            throw new IllegalArgumentException("echo payload of " + payloadBytes + " bytes exceeds the IP maximum of "
                    + (out.maxPayloadBytes() - 8));
        }
        MemorySegment seg = out.segment();
        long p = out.payloadOffset();
        Bytes.u8(seg, p, v4 ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST);
        Bytes.u8(seg, p + 1, 0);
        Bytes.u16(seg, p + 2, 0);
        Bytes.u16(seg, p + 4, identifier);
        Bytes.u16(seg, p + 6, sequence);
        for (int i = 0; i < payloadBytes; i++) {
            Bytes.u8(seg, p + 8 + i, (i + sequence) & 0xFF);
        }
        int sum = Checksum.sum(seg, p, len);
        if (!v4) {
            sum = Checksum.add(sum, out.pseudoHeaderSum(len));
        }
        Bytes.u16(seg, p + 2, Checksum.finish(sum));
        int slot = sequence & 0xFF;
        echoSentKey[slot] = (identifier & 0xFFFF) << 16 | (sequence & 0xFFFF);
        echoSentNs[slot] = nowNs;
        counters.increment(IpCounter.ICMP_ECHO_REQUESTS_SENT);
        return out.commit(len);
    }

    private void deliverEchoReply(IpAddress from, MemorySegment msg, int len) {
        counters.increment(IpCounter.ICMP_ECHO_REPLIES_RECEIVED);
        int id = Bytes.u16(msg, 4);
        int seq = Bytes.u16(msg, 6);
        int slot = seq & 0xFF;
        long rtt = echoSentKey[slot] == (id << 16 | seq) ? nowNs - echoSentNs[slot] : -1;
        for (EchoListener l : echoListeners) {
            l.onEchoReply(from, id, seq, len - 8, rtt);
        }
    }

    // ================================================================ transmit

    /**
     * Routes {@code dst} and returns the stack's reusable transmit buffer for one packet of {@code protocol}, or
     * null when there is no route or no source address (counted as {@link IpCounter#TX_DROP_NO_ROUTE} /
     * {@link IpCounter#TX_DROP_NO_SOURCE}). The buffer stays valid until {@link Outbound#commit} or the next
     * {@code beginSend}.
     */
    public Outbound beginSend(IpAddress dst, int protocol) {
        nowNs = loop.nowNs();
        return beginSendInternal(null, dst, protocol, false);
    }

    /** As {@link #beginSend(IpAddress, int)} with an explicit source, which must be one of our addresses. */
    public Outbound beginSend(IpAddress src, IpAddress dst, int protocol) {
        if (src.isIpv4() != dst.isIpv4()) {
            throw new IllegalArgumentException("source " + src + " and destination " + dst + " differ in family");
        }
        if (src instanceof Ipv4Address s ? !ownsIpv4(s.bits()) : !ownsIpv6(((Ipv6Address) src).hi(),
                ((Ipv6Address) src).lo())) {
            throw new IllegalArgumentException("source " + src + " is not an address of this stack; configure it "
                    + "on an interface first");
        }
        nowNs = loop.nowNs();
        return beginSendInternal(src, dst, protocol, false);
    }

    private Outbound beginSendInternal(IpAddress src, IpAddress dst, int protocol, boolean fragmentable) {
        Route r = routes.lookup(dst);
        if (r == null) {
            counters.increment(IpCounter.TX_DROP_NO_ROUTE);
            return null;
        }
        IpAddress source = src != null ? src : r.sourceFor(dst);
        if (source == null) {
            counters.increment(IpCounter.TX_DROP_NO_SOURCE);
            return null;
        }
        Link link = links.get(r.iface().index());
        int linkMtu = r.effectiveMtuBytes();
        int pmtu;
        if (dst.isMulticast() || dst instanceof Ipv4Address a && (a.isBroadcast() || isDirectedBroadcast(r, a))) {
            pmtu = linkMtu;
        } else {
            pmtu = Math.min(paths.getOrCreate(source, dst, linkMtu).pathMtuBytes(), linkMtu);
        }
        outbound.prepare(link, r, source, dst, protocol, pmtu, fragmentable);
        return outbound;
    }

    private static boolean isDirectedBroadcast(Route r, Ipv4Address a) {
        return r.isOnLink() && r.destination().prefixLength() < 31 && a.equals(r.destination().broadcast());
    }

    /** Writes the Ethernet header for {@code iface} (tagged per spec §6.12); returns its length. */
    int writeEthernet(NetInterface iface, MemorySegment f, long dstMac, int etherType) {
        EthernetView eth = txEth.wrap(f, 0, MAX_LINK_HEADER);
        eth.destinationBits(dstMac).sourceBits(iface.mac().bits());
        if (iface.tagsFrames()) {
            eth.vlanTag(iface.vlanPriority(), false, iface.vlanId());
        } else {
            eth.untagged();
        }
        eth.etherType(etherType);
        return iface.tagsFrames() ? EthernetView.TAGGED_HEADER_LENGTH : EthernetView.HEADER_LENGTH;
    }

    /**
     * A slice of one of the stack's transmit buffers from 0 to {@code len}. Slices are cached per buffer and
     * length (up to a jumbo frame), so a steady transmit path creates no segment objects.
     */
    private MemorySegment frameSlice(MemorySegment buffer, int len) {
        MemorySegment[] cache = buffer == outbound.buffer ? outboundSlices : buffer == controlBuffer ? controlSlices
                : buffer == fragmentBuffer ? fragmentSlices : null;
        if (cache == null || len >= cache.length) {
            return buffer.asSlice(0, len);
        }
        MemorySegment s = cache[len];
        if (s == null) {
            s = buffer.asSlice(0, len);
            cache[len] = s;
        }
        return s;
    }

    static int padded(MemorySegment f, int frameLen) {
        if (frameLen < MIN_FRAME_BYTES) {
            for (int i = frameLen; i < MIN_FRAME_BYTES; i++) {
                Bytes.u8(f, i, 0);
            }
            return MIN_FRAME_BYTES;
        }
        return frameLen;
    }

    boolean transmit(Link link, MemorySegment f, int frameLen) {
        int len = padded(f, frameLen);
        boolean ok = link.port.transmit(frameSlice(f, len));
        counters.increment(ok ? IpCounter.FRAMES_SENT : IpCounter.FRAME_DROP_PORT_REFUSED);
        return ok;
    }

    private boolean ownsIpv4(int bits) {
        for (int i = 0; i < links.size(); i++) {
            if (links.get(i).iface.isOwnIpv4(bits)) {
                return true;
            }
        }
        return false;
    }

    private boolean ownsIpv6(long hi, long lo) {
        for (int i = 0; i < links.size(); i++) {
            if (links.get(i).iface.isOwnIpv6(hi, lo)) {
                return true;
            }
        }
        return false;
    }

    /** Link-layer address for a multicast or broadcast IP destination (RFC 1112 §6.4, RFC 2464 §7), or -1. */
    private static long multicastMac(IpAddress dst, Route r) {
        if (dst instanceof Ipv4Address a) {
            if (a.isBroadcast() || isDirectedBroadcast(r, a)) {
                return MacAddress.BROADCAST.bits();
            }
            if (a.isMulticast()) {
                return 0x0100_5E00_0000L | (a.bits() & 0x7F_FFFFL);
            }
            return -1;
        }
        Ipv6Address a = (Ipv6Address) dst;
        return a.isMulticast() ? MacAddress.ipv6Multicast(a).bits() : -1;
    }

    /**
     * The stack's transmit buffer for one outgoing packet: the transport writes at {@link #payloadOffset()} in
     * {@link #segment()}, at most {@link #maxPayloadBytes()} bytes, then calls {@link #commit}. Reused for every
     * packet; obtain it from {@link IpStack#beginSend}.
     */
    public final class Outbound {
        private final MemorySegment buffer;
        private Link link;
        private Route route;
        private IpAddress source;
        private IpAddress destination;
        private int protocol;
        private int pmtu;
        private int linkHeader;
        private int ipHeader;
        private boolean fragmentable;
        private boolean open;
        private int ttlOrHopLimit;
        private int tosOrTrafficClass;
        private int flowLabel;

        Outbound(MemorySegment buffer) {
            this.buffer = buffer;
        }

        void prepare(Link l, Route r, IpAddress src, IpAddress dst, int proto, int pathMtu, boolean frag) {
            link = l;
            route = r;
            source = src;
            destination = dst;
            protocol = proto;
            pmtu = pathMtu;
            fragmentable = frag;
            ttlOrHopLimit = config.defaultTtl();
            tosOrTrafficClass = 0;
            flowLabel = 0;
            linkHeader = l.iface.tagsFrames() ? EthernetView.TAGGED_HEADER_LENGTH : EthernetView.HEADER_LENGTH;
            ipHeader = dst.isIpv4() ? Ipv4View.HEADER_LENGTH : Ipv6View.HEADER_LENGTH;
            open = true;
        }

        /**
         * IPv4 TTL / IPv6 hop limit of this packet (spec §2.6 TtlOrHopLimit), instead of the stack default; reset by
         * every {@link IpStack#beginSend}.
         *
         * @param value 1..255
         */
        public Outbound ttlOrHopLimit(int value) {
            if (value < 1 || value > 255) {
                throw new IllegalArgumentException("TTL / hop limit must be 1..255, got " + value);
            }
            ttlOrHopLimit = value;
            return this;
        }

        /**
         * IPv4 TOS / IPv6 traffic class octet of this packet (spec §2.6 TosOrTrafficClass: DSCP and ECN bits, RFC
         * 2474, RFC 3168); 0 unless set; reset by every {@link IpStack#beginSend}.
         *
         * @param value 0..255
         */
        public Outbound tosOrTrafficClass(int value) {
            if (value < 0 || value > 255) {
                throw new IllegalArgumentException("TOS / traffic class is one octet (0..255), got " + value);
            }
            tosOrTrafficClass = value;
            return this;
        }

        /**
         * IPv6 flow label of this packet (spec §2.6 FlowLabel, RFC 6437); ignored for IPv4; 0 unless set; reset by
         * every {@link IpStack#beginSend}.
         *
         * @param value 0..0xFFFFF (20 bits)
         */
        public Outbound flowLabel(int value) {
            if ((value & ~0xF_FFFF) != 0) {
                throw new IllegalArgumentException("the IPv6 flow label has 20 bits (0..0xFFFFF), got " + value);
            }
            flowLabel = value;
            return this;
        }

        /** The whole transmit buffer (write the transport message at {@link #payloadOffset()}). */
        public MemorySegment segment() {
            return buffer;
        }

        /** Where the transport header starts in {@link #segment()}. */
        public long payloadOffset() {
            return linkHeader + ipHeader;
        }

        /**
         * The largest transport message that fits the path MTU (RFC 1191 / RFC 8201). TCP sizes segments from it;
         * {@link #commit} refuses anything larger.
         */
        public int maxPayloadBytes() {
            int limit = fragmentable ? FragmentReassembler.MAX_DATAGRAM_BYTES - (destination.isIpv4() ? ipHeader : 0)
                    : pmtu - ipHeader;
            return Math.max(0, limit);
        }

        /** The path MTU in force for this packet. */
        public int pathMtuBytes() {
            return pmtu;
        }

        /**
         * The largest TCP message {@link #commitSegmented} takes on this route: what the port's segmentation
         * offload accepts (at most a 64 KiB IP packet), or {@link #maxPayloadBytes()} when the port has no TSO, the
         * protocol is not TCP, or the packet may be fragmented. TCP sizes super-segments from it.
         */
        public int maxSegmentedPayloadBytes() {
            LinkOffloads o = link.port.offloads();
            if (!o.tso() || protocol != IpProtocol.TCP || fragmentable) {
                return maxPayloadBytes();
            }
            int byPort = o.tsoMaxBytes() - linkHeader - ipHeader;
            // RFC 791 total length / RFC 8200 payload length are 16 bits.
            int byIp = destination.isIpv4() ? 0xFFFF - ipHeader : 0xFFFF;
            return Math.max(maxPayloadBytes(), Math.min(byPort, byIp));
        }

        /**
         * True when the port computes TCP checksums ({@link LinkOffloads#txChecksum()}): the transport may then
         * leave the checksum partial and send through {@link #commitSegmented}.
         */
        public boolean checksumOffload() {
            return link.port.offloads().txChecksum();
        }

        /**
         * Completes a TCP packet whose checksum (and, above {@code segmentPayloadBytes} of payload, whose
         * segmentation) the port performs: a TSO super-segment standing for ceil(data / segmentPayloadBytes)
         * segments that are exactly the bytes the transport would have sent one by one. The transport has written
         * its header with the checksum field holding the folded pseudo-header sum over the whole TCP length
         * ({@link #pseudoHeaderSum}, not complemented). Writes the IP header (IPv4: DF, the first of as many
         * identifications as segments) and the Ethernet header, then hands the frame to
         * {@link NetworkPort#transmitSegmented}. Only when {@link #checksumOffload()} is true.
         *
         * <p>While the next hop is unresolved the frame is queued like any other and later sent whole; a port then
         * refuses it (too big, or a checksum left partial), which TCP sees as a loss and repairs by retransmission.
         *
         * @param payloadBytes        TCP header + data bytes written at {@link #payloadOffset()}
         * @param tcpHeaderBytes      the TCP header length (with options)
         * @param segmentPayloadBytes data bytes per segment (the MSS the segments are cut to)
         * @return false when the packet was refused (too big, port refused); counted
         */
        public boolean commitSegmented(int payloadBytes, int tcpHeaderBytes, int segmentPayloadBytes) {
            if (!open) {
                throw new IllegalStateException("commitSegmented without beginSend: call IpStack.beginSend for every"
                        + " packet");
            }
            if (!checksumOffload()) {
                throw new IllegalStateException("port " + link.port.name() + " has no checksum offload; check "
                        + "Outbound.checksumOffload() and use commit(int) with a full checksum");
            }
            if (tcpHeaderBytes < 20 || tcpHeaderBytes > payloadBytes || segmentPayloadBytes <= 0) {
                throw new IllegalArgumentException("need 20 <= tcpHeaderBytes <= payloadBytes and segmentPayloadBytes"
                        + " > 0, got " + tcpHeaderBytes + ", " + payloadBytes + ", " + segmentPayloadBytes);
            }
            open = false;
            if (payloadBytes > maxSegmentedPayloadBytes()) {
                counters.increment(IpCounter.TX_DROP_TOO_BIG);
                return false;
            }
            int dataBytes = payloadBytes - tcpHeaderBytes;
            int segments = Math.max(1, (dataBytes + segmentPayloadBytes - 1) / segmentPayloadBytes);
            if (segments > 1 && segmentPayloadBytes + tcpHeaderBytes + ipHeader > pmtu) {
                // Each resulting segment must itself fit the path (RFC 1191): the transport's MSS is stale.
                counters.increment(IpCounter.TX_DROP_TOO_BIG);
                return false;
            }
            int ipLen = ipHeader + payloadBytes;
            int etherType = writeIpHeader(ipLen, payloadBytes, segments);
            writeEthernet(link.iface, buffer, 0, etherType);
            if (multicastMac(destination, route) < 0 && !nextHopResolved()) {
                return queueWithoutOffload(payloadBytes, tcpHeaderBytes, segmentPayloadBytes, segments);
            }
            segmentedTcpHeader = tcpHeaderBytes;
            segmentedPayload = segmentPayloadBytes;
            try {
                return resolveAndSend(buffer, linkHeader + ipLen);
            } finally {
                segmentedPayload = 0;
            }
        }

        /**
         * The frame will wait in the neighbor entry and leave later as a plain frame with no offload to finish it,
         * so finish it now: a super-segment is cut to its first segment (the rest is what TCP retransmits once
         * the neighbor answers; the queued piece starts resolution), and the checksum is completed in software.
         */
        private boolean queueWithoutOffload(int payloadBytes, int tcpHeaderBytes, int segmentPayloadBytes,
                int segments) {
            long tcpOff = linkHeader + ipHeader;
            int tcpLen = payloadBytes;
            if (segments > 1) {
                tcpLen = tcpHeaderBytes + segmentPayloadBytes;
                writeIpHeader(ipHeader + tcpLen, tcpLen, 1);
                int flags = Bytes.u8(buffer, tcpOff + 13);
                Bytes.u8(buffer, tcpOff + 13, flags & ~0x09); // FIN and PSH belong to the last piece only
                Bytes.u16(buffer, tcpOff + 16, pseudoHeaderSum(tcpLen));
            }
            // The field holds the pseudo-header sum, so the sum over the whole message includes it (RFC 1071).
            Bytes.u16(buffer, tcpOff + 16, Checksum.finish(Checksum.sum(buffer, tcpOff, tcpLen)));
            return resolveAndSend(buffer, linkHeader + ipHeader + tcpLen);
        }

        /** True when a frame to the next hop would be sent now rather than queued (RFC 4861 §7.2.2 INCOMPLETE). */
        private boolean nextHopResolved() {
            NeighborEntry e = (destination.isIpv4() ? link.arp : link.ndp).lookup(route.nextHop(destination));
            return e != null && e.state() != NeighborState.INCOMPLETE;
        }

        private int segmentedTcpHeader;
        /** Non-zero while {@link #commitSegmented} sends: the frame goes out through the port's offload. */
        private int segmentedPayload;

        public IpAddress source() {
            return source;
        }

        public IpAddress destination() {
            return destination;
        }

        /** The interface the packet leaves through. */
        public NetInterface iface() {
            return link.iface;
        }

        /** The pseudo-header sum for the transport checksum (RFC 9293 §3.1, RFC 8200 §8.1). */
        public int pseudoHeaderSum(int upperLength) {
            return Checksum.pseudoHeader(source, destination, protocol, upperLength);
        }

        /** The payload region as a slice (allocates a segment object; hot paths use segment + offset). */
        public MemorySegment payload(int length) {
            return buffer.asSlice(payloadOffset(), length);
        }

        /**
         * Completes the packet: writes the IP header (IPv4: DF set per RFC 1191, a fresh identification, header
         * checksum; IPv6: hop limit) and the Ethernet header, then transmits it or, while the next hop resolves,
         * queues it in the neighbor entry (a queued packet is still accepted: it is sent on resolution or reported
         * unreachable).
         *
         * @return false when the packet was refused (too big, port refused, neighbor table full); counted
         */
        public boolean commit(int payloadBytes) {
            if (!open) {
                throw new IllegalStateException("commit without beginSend: call IpStack.beginSend for every packet");
            }
            open = false;
            if (payloadBytes < 0 || payloadBytes > maxPayloadBytes()) {
                counters.increment(IpCounter.TX_DROP_TOO_BIG);
                return false;
            }
            int ipLen = ipHeader + payloadBytes;
            if (ipLen > pmtu) {
                return fragmentAndSend(payloadBytes);
            }
            int etherType = writeIpHeader(ipLen, payloadBytes, 1);
            writeEthernet(link.iface, buffer, 0, etherType);
            return resolveAndSend(buffer, linkHeader + ipLen);
        }

        /** Writes the unfragmented IP header; returns the EtherType. */
        private int writeIpHeader(int ipLen, int payloadBytes, int identifications) {
            if (destination instanceof Ipv4Address d) {
                // RFC 1191: DF on everything we originate unfragmented; RFC 6864 §4.1 lets the ID of atomic
                // datagrams be anything, a per-stack counter keeps it simple (a super-segment uses one per
                // segment the port cuts it into, as the port increments it).
                int id = nextIpv4Id & 0xFFFF;
                nextIpv4Id += identifications;
                txV4.wrap(buffer, linkHeader, ipLen).versionAndHeaderLen(Ipv4View.HEADER_LENGTH).tos(tosOrTrafficClass)
                        .totalLength(ipLen).identification(id).fragment(true, false, 0)
                        .ttl(ttlOrHopLimit).protocol(protocol).sourceBits(((Ipv4Address) source).bits())
                        .destinationBits(d.bits()).fillChecksum();
                return EtherType.IPV4;
            }
            Ipv6Address s = (Ipv6Address) source;
            Ipv6Address d = (Ipv6Address) destination;
            txV6.wrap(buffer, linkHeader, ipLen).versionTrafficClassFlowLabel(tosOrTrafficClass, flowLabel)
                    .payloadLength(payloadBytes).nextHeader(protocol).hopLimit(ttlOrHopLimit).source(s.hi(), s.lo())
                    .destination(d.hi(), d.lo());
            return EtherType.IPV6;
        }

        private boolean resolveAndSend(MemorySegment f, int frameLen) {
            long mac = multicastMac(destination, route);
            if (mac < 0) {
                boolean v6 = !destination.isIpv4();
                NeighborCache cache = v6 ? link.ndp : link.arp;
                int len = padded(f, frameLen);
                mac = cache.resolve(route.nextHop(destination), f, len, nowNs);
                if (mac < 0) {
                    return cache.lookup(route.nextHop(destination)) != null; // queued (true) or refused (false)
                }
            }
            Bytes.macBits(f, EthernetView.DST_OFFSET, mac);
            if (segmentedPayload > 0) {
                boolean ok = link.port.transmitSegmented(frameSlice(f, frameLen), !destination.isIpv4(),
                        linkHeader + ipHeader, linkHeader + ipHeader + segmentedTcpHeader, segmentedPayload);
                counters.increment(ok ? IpCounter.SEGMENTED_FRAMES_SENT : IpCounter.FRAME_DROP_PORT_REFUSED);
                return ok;
            }
            return transmit(link, f, frameLen);
        }

        /** Fragments an echo packet (RFC 791 §3.2 / RFC 8200 §4.5); every fragment but the last carries 8k bytes. */
        private boolean fragmentAndSend(int payloadBytes) {
            boolean v4 = destination.isIpv4();
            int fragHeader = v4 ? 0 : Ipv6View.FRAGMENT_HEADER_LENGTH;
            int perFragment = ((pmtu - ipHeader - fragHeader) / 8) * 8;
            if (perFragment <= 0) {
                counters.increment(IpCounter.TX_DROP_TOO_BIG);
                return false;
            }
            int id = v4 ? (nextIpv4Id++ & 0xFFFF) : nextIpv6FragmentId++;
            boolean all = true;
            for (int off = 0; off < payloadBytes; off += perFragment) {
                int n = Math.min(perFragment, payloadBytes - off);
                boolean more = off + n < payloadBytes;
                MemorySegment f = fragmentBuffer;
                int l2 = writeEthernet(link.iface, f, 0, v4 ? EtherType.IPV4 : EtherType.IPV6);
                int ipLen = ipHeader + fragHeader + n;
                MemorySegment.copy(buffer, payloadOffset() + off, f, l2 + ipHeader + fragHeader, n);
                if (v4) {
                    txV4.wrap(f, l2, ipLen).versionAndHeaderLen(Ipv4View.HEADER_LENGTH).tos(tosOrTrafficClass)
                            .totalLength(ipLen).identification(id).fragment(false, more, off).ttl(ttlOrHopLimit)
                            .protocol(protocol).sourceBits(((Ipv4Address) source).bits())
                            .destinationBits(((Ipv4Address) destination).bits()).fillChecksum();
                } else {
                    Ipv6Address s = (Ipv6Address) source;
                    Ipv6Address d = (Ipv6Address) destination;
                    txV6.wrap(f, l2, ipLen).versionTrafficClassFlowLabel(tosOrTrafficClass, flowLabel)
                            .payloadLength(fragHeader + n).nextHeader(IpProtocol.IPV6_FRAGMENT).hopLimit(ttlOrHopLimit)
                            .source(s.hi(), s.lo())
                            .destination(d.hi(), d.lo());
                    long fh = l2 + Ipv6View.HEADER_LENGTH;
                    Bytes.u8(f, fh, protocol);
                    Bytes.u8(f, fh + 1, 0);
                    Bytes.u16(f, fh + 2, off | (more ? 1 : 0));
                    Bytes.u32(f, fh + 4, id);
                }
                counters.increment(IpCounter.FRAGMENTS_SENT);
                all &= resolveAndSend(f, l2 + ipLen);
            }
            return all;
        }
    }

    // ================================================================ per-interface state

    /** One attached port: its interface, its two neighbor caches, and the frame sink its port delivers to. */
    final class Link implements FrameSink {
        final NetworkPort port;
        final NetInterface iface;
        final NeighborCache arp;
        final NeighborCache ndp;
        long baseReachableNs = NeighborConfig.REACHABLE_TIME_NS;

        Link(NetworkPort port, NetInterface iface) {
            this.port = port;
            this.iface = iface;
            NeighborCache.QueuedFrameSender sender = (entry, frame) -> {
                Bytes.macBits(frame, EthernetView.DST_OFFSET, entry.linkAddress().bits());
                boolean ok = port.transmit(frame);
                counters.increment(ok ? IpCounter.FRAMES_SENT : IpCounter.FRAME_DROP_PORT_REFUSED);
            };
            this.arp = new NeighborCache(iface, loop.timers(), random.fork("arp-" + iface.name()), config.neighbor(),
                    (entry, unicast) -> {
                        Ipv4Address target = (Ipv4Address) entry.ip();
                        Ipv4Address src = iface.ipv4SourceFor(target);
                        if (src == null) {
                            return;
                        }
                        counters.increment(IpCounter.ARP_REQUESTS_SENT);
                        sendArp(this, ArpView.OPERATION_REQUEST, unicast == null ? MacAddress.BROADCAST.bits()
                                : unicast.bits(), src.bits(), 0L, target.bits());
                    }, sender, counters);
            this.ndp = new NeighborCache(iface, loop.timers(), random.fork("ndp-" + iface.name()), config.neighbor(),
                    (entry, unicast) -> neighborDiscovery.sendNeighborSolicit(this, entry, unicast), sender, counters);
        }

        @Override
        public void onFrame(MemorySegment frame) {
            rxChecksumState = port.rxChecksumState();
            rxSegmentBytes = port.rxSegmentBytes();
            IpStack.this.onFrame(this, frame);
        }
    }
}
