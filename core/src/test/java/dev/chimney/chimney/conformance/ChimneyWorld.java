package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.PathOffloadState;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.host.NetworkStack;
import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.FrameSink;
import dev.chimney.link.Impairments;
import dev.chimney.link.NetworkPort;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpSnapshot;
import dev.chimney.wire.Bytes;
import dev.chimney.wire.EtherType;
import dev.chimney.wire.EthernetView;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.IpProtocol;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;
import dev.chimney.wire.MacAddress;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The conformance suite's world (spec §8 "E2E": a simulated host stack driving the target API, a simulated wire
 * with a TCP peer, a controllable clock, fault injection): one {@link Simulator} with a host loop, the target's loop
 * and a peer loop; a {@link VirtualWire} between the target (its link) and the peer {@link NetworkStack}; the host
 * {@link NetworkStack} attached to the target's host port. Connections are set up by the real host stack through
 * the target's pass-through, then offloaded with a block-list tree built from {@link TcpConnection#export()}; while
 * a connection is offloaded, frames the target passes up for it are held here (the host's parked connection would
 * buffer them) and re-delivered after it is uploaded back into the host stack.
 */
final class ChimneyWorld {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final int PORT = 5001;
    static final MacAddress MAC_A = MacAddress.parse("02:77:00:00:00:0a");
    static final MacAddress MAC_B = MacAddress.parse("02:77:00:00:00:0b");
    static final Ipv4Address A4 = Ipv4Address.parse("10.77.0.1");
    static final Ipv4Address B4 = Ipv4Address.parse("10.77.0.2");
    static final Ipv6Address A6 = Ipv6Address.parse("fd77::1");
    static final Ipv6Address B6 = Ipv6Address.parse("fd77::2");
    /** What the suite asks a target for unless a test says otherwise (a target may report more). */
    static final OffloadCapabilities CAPS = new OffloadCapabilities(true, true, false, true, 4096, 4096, 1024,
            16 << 20, 9000, true, true);

    /** World options; change and pass to {@link #create}. */
    static final class Options {
        long seed = 1;
        OffloadCapabilities capabilities;
        OffloadParameters parameters = OffloadParameters.DEFAULTS;
        int maxObjects = Integer.MAX_VALUE;
        int[] vlanIds = new int[0];
        long nicClockOffsetTicks;
        int indicationBuffers = 1024;
        Impairments impairments = Impairments.NONE.withDelay(100_000, 0);
        int mtu = 1500;
        Consumer<TcpConfig.Builder> hostTcp = b -> { };
        Consumer<TcpConfig.Builder> peerTcp = b -> { };
        /** Host interface VLAN (id, priority) or null: the host's own frames are tagged. */
        int[] hostVlan;

        Options seed(long v) {
            seed = v;
            return this;
        }

        Options capabilities(OffloadCapabilities v) {
            capabilities = v;
            return this;
        }

        Options parameters(OffloadParameters v) {
            parameters = v;
            return this;
        }

        Options maxObjects(int v) {
            maxObjects = v;
            return this;
        }

        Options vlanIds(int... v) {
            vlanIds = v;
            return this;
        }

        Options impairments(Impairments v) {
            impairments = v;
            return this;
        }

        Options tcp(Consumer<TcpConfig.Builder> both) {
            hostTcp = both;
            peerTcp = both;
            return this;
        }

        /** Scripted-peer tests: no timestamps, so hand-built segments need no options. */
        Options plainTcp() {
            return tcp(b -> b.timestamps(false).sack(false));
        }

        boolean sendBacklog;

        Options sendBacklog(boolean v) {
            sendBacklog = v;
            return this;
        }

        Options hostVlan(int id, int priority) {
            hostVlan = new int[] {id, priority};
            return this;
        }

        Options nicClockOffsetTicks(long v) {
            nicClockOffsetTicks = v;
            return this;
        }

        Options indicationBuffers(int v) {
            indicationBuffers = v;
            return this;
        }
    }

    static Options options() {
        return new Options();
    }

    /** One frame on the link, as the target transmitted it. */
    record Frame(long timeNs, byte[] bytes) {
        WireFrames.Parsed parsed() {
            return WireFrames.parse(bytes, timeNs);
        }
    }

    final Simulator sim;
    final EventLoop hostLoop;
    final EventLoop targetLoop;
    final EventLoop peerLoop;
    final VirtualWire wire;
    final LinkTap link;
    final TargetFactory.TargetUnderTest tut;
    final OffloadTarget target;
    final HostPort hostPort;
    final NetworkStack host;
    final NetworkStack peer;
    final HostRecorder rec;
    final List<PeerEnd> accepted = new ArrayList<>();
    private final Impairments baseImpairments;

    private ChimneyWorld(TargetFactory factory, Options o) {
        sim = new Simulator(o.seed);
        baseImpairments = o.impairments;
        hostLoop = sim.newLoop("host");
        targetLoop = sim.newLoop("target");
        peerLoop = sim.newLoop("peer");
        wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire")).both(o.impairments).mtu(o.mtu)
                .maxInFlightFrames(16_384).build();
        link = new LinkTap(wire.a());
        OffloadCapabilities caps = o.capabilities != null ? o.capabilities : CAPS;
        tut = factory.create(new TargetFactory.Setup(sim, hostLoop, targetLoop, link, MAC_A, caps, o.maxObjects,
                o.vlanIds, o.nicClockOffsetTicks, o.indicationBuffers, o.sendBacklog));
        target = tut.target();
        rec = new HostRecorder(this);
        rec.target = target;
        target.attach(rec, hostLoop);
        target.configure(target.capabilities(), o.parameters);
        hostPort = new HostPort(tut.hostPort());
        TcpConfig.Builder hb = TcpConfig.builder().sendBufferBytes(256 * 1024).receiveBufferBytes(64 * 1024);
        o.hostTcp.accept(hb);
        TcpConfig.Builder pb = TcpConfig.builder().sendBufferBytes(256 * 1024).receiveBufferBytes(64 * 1024);
        o.peerTcp.accept(pb);
        InterfaceConfig hostIface = InterfaceConfig.of("a0", MAC_A).withMtu(o.mtu).withIpv4("10.77.0.1/24")
                .withIpv6("fd77::1/64");
        InterfaceConfig peerIface = InterfaceConfig.of("b0", MAC_B).withMtu(o.mtu).withIpv4("10.77.0.2/24")
                .withIpv6("fd77::2/64");
        if (o.hostVlan != null) {
            hostIface = hostIface.withVlan(o.hostVlan[0], o.hostVlan[1]);
            peerIface = peerIface.withVlan(o.hostVlan[0], o.hostVlan[1]);
        }
        host = NetworkStack.builder(hostLoop).random(sim.random().fork("host")).tcpConfig(fixedBuffers(hb.build()))
                .iface(hostPort, hostIface).build();
        peer = NetworkStack.builder(peerLoop).random(sim.random().fork("peer")).tcpConfig(fixedBuffers(pb.build()))
                .iface(wire.b(), peerIface).build();
        peer.listen(PORT, this::accept);
    }

    static ChimneyWorld create(TargetFactory factory, Options o) {
        return new ChimneyWorld(factory, o);
    }

    private void accept(TcpListener l) {
        TcpConnection c;
        while ((c = l.accept()) != null) {
            PeerEnd p = new PeerEnd();
            c.listener(p);
            p.connection = c;
            accepted.add(p);
        }
    }

    // ============================================================================================== running

    void run(long ns) {
        sim.runFor(ns);
    }

    void runUntil(BooleanSupplier done, long timeoutNs, String what) {
        assertTrue(sim.runUntil(done, sim.nowNs() + timeoutNs), "timed out waiting for " + what + " (seed "
                + sim.seed() + ")");
    }

    /** Calls into the target as the host would: the recorder checks nothing completes inside the call. */
    void call(Runnable request) {
        rec.inRequest = true;
        try {
            request.run();
        } finally {
            rec.inRequest = false;
        }
    }

    // ============================================================================================ connections

    /** A connection between the host app and the peer app, both reading everything they get. */
    static final class Conn {
        TcpConnection hostConn;
        final PeerEnd hostEnd = new PeerEnd();
        PeerEnd peerEnd;
        /** Every byte the host application sent, in order. */
        final ByteArrayOutputStream hostSent = new ByteArrayOutputStream();
        /** Every byte the host application received before an offload and after uploads. */
        final ByteArrayOutputStream hostReceivedOnHost = new ByteArrayOutputStream();
    }

    /** Opens a connection from the host to the peer through the target's pass-through. */
    Conn connect(boolean v6) {
        Conn c = new Conn();
        int before = accepted.size();
        hostLoop.execute(() -> c.hostConn = host.connect(v6 ? B6 : B4, PORT, c.hostEnd));
        runUntil(() -> c.hostConn != null && c.hostConn.state() == dev.chimney.tcp.TcpState.ESTABLISHED
                && accepted.size() > before, 10 * S, "the connection");
        c.hostEnd.connection = c.hostConn;
        c.peerEnd = accepted.get(before);
        return c;
    }

    /** The host application writes {@code data} on its own stack (before an offload or after an upload). */
    void hostWrite(Conn c, byte[] data) {
        assertEquals(data.length, c.hostConn.write(data), "host send buffer takes it all");
        c.hostSent.writeBytes(data);
    }

    /** The handles and tree of one offloaded connection. */
    static final class Offloaded {
        final Conn conn;
        final OffloadHandle neighbor = new OffloadHandle("neighbor");
        final OffloadHandle path = new OffloadHandle("path");
        final OffloadHandle tcp = new OffloadHandle("tcp");
        BlockList root;
        BlockList neighborNode;
        BlockList pathNode;
        BlockList tcpNode;
        TcpSnapshot snapshot;
        SendRequest chain;

        Offloaded(Conn conn) {
            this.conn = conn;
        }

        Object context() {
            return tcp.miniportContext();
        }
    }

    /** The peer's MAC as the host's neighbor cache knows it (spec §2.3 DlDestinationAddress). */
    MacAddress peerMac() {
        return MAC_B;
    }

    /** How to build an offload tree from a connection's export (defaults: what the host would send). */
    static final class Spec {
        MacAddress dlSource;
        int vlanId;
        MacAddress destinationMac = MAC_B;
        int hrd;
        int nrd;
        Integer pathMtu;
        java.util.function.UnaryOperator<dev.chimney.tcp.TcpConst> constants = x -> x;
        java.util.function.UnaryOperator<dev.chimney.tcp.TcpCached> cached = x -> x;
        java.util.function.UnaryOperator<TcpDelegated> delegated = x -> x;
        int chainPieces = 3;
        int[] chainSizes;

        Spec cached(java.util.function.UnaryOperator<dev.chimney.tcp.TcpCached> f) {
            cached = f;
            return this;
        }

        Spec delegated(java.util.function.UnaryOperator<TcpDelegated> f) {
            delegated = f;
            return this;
        }
    }

    static Spec spec() {
        return new Spec();
    }

    Offloaded prepare(Conn c, int chainPieces) {
        Spec s = new Spec();
        s.chainPieces = chainPieces;
        return prepare(c, s);
    }

    /**
     * Builds the offload tree of {@code c} — new neighbor → new path → new TCP, the send data as a chain of requests
     * — and detaches the host's engine: from now on the connection is the target's.
     */
    Offloaded prepare(Conn c, Spec spec) {
        Offloaded o = new Offloaded(c);
        TcpSnapshot s = c.hostConn.export();
        c.hostConn.detach();
        hostPort.hold(c.hostConn.localPort(), c.hostConn.remotePort());
        o.snapshot = s;
        byte[] send = s.delegated().sendData();
        o.chain = spec.chainSizes != null ? chain(send, spec.chainSizes) : chain(send, spec.chainPieces);
        BlockList n = BlockList.newNeighbor(o.neighbor, new NeighborOffloadState.Const(spec.dlSource, spec.vlanId),
                new NeighborOffloadState.Cached(spec.destinationMac, spec.hrd),
                new NeighborOffloadState.Delegated(spec.nrd));
        o.neighborNode = n;
        BlockList p = BlockList.newPath(o.path, new PathOffloadState.Const(s.localAddress(), s.remoteAddress()),
                new PathOffloadState.Cached(spec.pathMtu != null ? spec.pathMtu : s.pathMtu()));
        o.pathNode = p;
        o.tcpNode = BlockList.newTcp(o.tcp, spec.constants.apply(s.constants()), spec.cached.apply(s.cached()),
                spec.delegated.apply(withoutSendData(s.delegated())), o.chain);
        o.root = n.dependent(p.dependent(o.tcpNode));
        return o;
    }

    /** Only the TCP node of {@code c} (for trees of several connections); the host's engine is detached. */
    Offloaded prepareTcp(Conn c) {
        Offloaded o = new Offloaded(c);
        TcpSnapshot s = c.hostConn.export();
        c.hostConn.detach();
        hostPort.hold(c.hostConn.localPort(), c.hostConn.remotePort());
        o.snapshot = s;
        o.chain = chain(s.delegated().sendData(), 2);
        o.tcpNode = BlockList.newTcp(o.tcp, s.constants(), s.cached(), withoutSendData(s.delegated()), o.chain);
        return o;
    }

    BlockList newNeighbor(dev.chimney.chimney.OffloadHandle h) {
        return BlockList.newNeighbor(h, new NeighborOffloadState.Const(null, 0),
                new NeighborOffloadState.Cached(MAC_B, 0), new NeighborOffloadState.Delegated(0));
    }

    BlockList newPath(dev.chimney.chimney.OffloadHandle h, boolean v6) {
        return BlockList.newPath(h, new PathOffloadState.Const(hostAddress(v6), peerAddress(v6)),
                new PathOffloadState.Cached(1500));
    }

    /**
     * A connection whose offload failed goes back to the host stack from the state it had (the host keeps
     * running it, spec §3.1.4); the frames held meanwhile are delivered.
     */
    TcpConnection restore(Offloaded o) {
        TcpConnection[] imported = new TcpConnection[1];
        TcpSnapshot s = o.snapshot;
        hostLoop.execute(() -> {
            imported[0] = TcpConnection.importFrom(s, host.tcp(), o.conn.hostEnd);
            o.conn.hostEnd.connection = imported[0];
            o.conn.hostConn = imported[0];
            hostPort.release(imported[0].localPort(), imported[0].remotePort());
        });
        runUntil(() -> imported[0] != null, S, "restore");
        return imported[0];
    }

    /** Offloads {@code c} with {@code spec} and waits for the completion; asserts every node SUCCESS. */
    Offloaded offload(Conn c, Spec spec) {
        Offloaded o = prepare(c, spec);
        initiate(o.root);
        for (BlockList b : o.root.nodes()) {
            assertEquals(OffloadStatus.SUCCESS, b.status(), "offload of " + b);
        }
        assertNotNull(o.context(), "the target wrote its context into the TCP handle (R-TREE-6)");
        return o;
    }

    /** Offloads {@code c} and waits for the completion; asserts every node SUCCESS. */
    Offloaded offload(Conn c) {
        Offloaded o = prepare(c, 3);
        initiate(o.root);
        for (BlockList b : o.root.nodes()) {
            assertEquals(OffloadStatus.SUCCESS, b.status(), "offload of " + b);
        }
        assertNotNull(o.context(), "the target wrote its context into the TCP handle (R-TREE-6)");
        return o;
    }

    void initiate(BlockList root) {
        call(() -> target.initiateOffload(root));
        runUntil(() -> rec.initiated.contains(root), 10 * S, "initiate completion");
    }

    static TcpDelegated withoutSendData(TcpDelegated d) {
        return new TcpDelegated(d.state(), d.rcvNxt(), d.rcvWnd(), d.sndUna(), d.sndNxt(), d.sndMax(), d.sndWnd(),
                d.maxSndWnd(), d.sndWl1(), d.cWnd(), d.ssThresh(), d.sRtt(), d.rttVar(), d.tsRecent(),
                d.tsRecentAge(), d.tsTime(), d.totalRt(), d.dupAckCount(), d.sndWndProbeCount(),
                d.keepAliveProbeCount(), d.keepAliveTimeoutDelta(), d.retransmitCount(), d.retransmitTimeoutDelta(),
                d.dWnd(), new byte[0], d.receivedData(), d.outOfOrder());
    }

    static TcpDelegated withSendData(TcpDelegated d, byte[] send) {
        return new TcpDelegated(d.state(), d.rcvNxt(), d.rcvWnd(), d.sndUna(), d.sndNxt(), d.sndMax(), d.sndWnd(),
                d.maxSndWnd(), d.sndWl1(), d.cWnd(), d.ssThresh(), d.sRtt(), d.rttVar(), d.tsRecent(),
                d.tsRecentAge(), d.tsTime(), d.totalRt(), d.dupAckCount(), d.sndWndProbeCount(),
                d.keepAliveProbeCount(), d.keepAliveTimeoutDelta(), d.retransmitCount(), d.retransmitTimeoutDelta(),
                d.dWnd(), send, d.receivedData(), d.outOfOrder());
    }

    /** {@code data} as a chain of requests of the given sizes, the last one taking the rest (null when empty). */
    static SendRequest chain(byte[] data, int[] sizes) {
        SendRequest head = null;
        int at = 0;
        for (int i = 0; i < sizes.length && at < data.length; i++) {
            int len = i == sizes.length - 1 ? data.length - at : Math.min(sizes[i], data.length - at);
            SendRequest r = new SendRequest(Arrays.copyOfRange(data, at, at + len), 0, len);
            head = head == null ? r : head.append(r);
            at += len;
        }
        return head;
    }

    /** {@code data} as a chain of up to {@code pieces} requests (null when empty). */
    static SendRequest chain(byte[] data, int pieces) {
        if (data.length == 0) {
            return null;
        }
        SendRequest head = null;
        int n = Math.max(1, Math.min(pieces, data.length));
        int at = 0;
        for (int i = 0; i < n; i++) {
            int len = i == n - 1 ? data.length - at : data.length / n;
            SendRequest r = new SendRequest(Arrays.copyOfRange(data, at, at + len), 0, len);
            head = head == null ? r : head.append(r);
            at += len;
        }
        return head;
    }

    // ================================================================================================ data I/O

    /** Sends {@code pieces} as one chain of requests (recorded as sent by the host application). */
    SendRequest send(Offloaded o, byte[]... pieces) {
        SendRequest head = null;
        for (byte[] p : pieces) {
            SendRequest r = SendRequest.of(p);
            head = head == null ? r : head.append(r);
            o.conn.hostSent.writeBytes(p);
        }
        SendRequest chain = head;
        call(() -> target.tcpSend(o.context(), chain));
        return head;
    }

    /** Posts one receive request of {@code capacity} bytes. */
    ReceiveRequest post(Offloaded o, int capacity, boolean noPush) {
        ReceiveRequest r = new ReceiveRequest(new byte[capacity], 0, capacity, noPush, 0);
        rec.receiveOwner.put(r, o.tcp);
        call(() -> target.tcpReceive(o.context(), r));
        return r;
    }

    /** The bytes the host application got while offloaded (completions + accepted indications). */
    byte[] delivered(Offloaded o) {
        return rec.deliveredTo(o.tcp).toByteArray();
    }

    /** Terminates the connection with a neighbor → path → TCP reference tree; returns the root when completed. */
    BlockList terminate(Offloaded o) {
        BlockList t = BlockList.reference(StateLayer.TCP, o.tcp, BlockList.DELEGATED);
        BlockList root = BlockList.reference(StateLayer.NEIGHBOR, o.neighbor, BlockList.DELEGATED)
                .dependent(BlockList.reference(o.snapshot.localAddress().isIpv4() ? StateLayer.IPV4_PATH
                        : StateLayer.IPV6_PATH, o.path, 0).dependent(t));
        call(() -> target.terminateOffload(root));
        runUntil(() -> rec.terminated.contains(root), 10 * S, "terminate completion");
        return root;
    }

    BlockList pathRef(Offloaded o, int parts) {
        return BlockList.reference(o.snapshot.localAddress().isIpv4() ? StateLayer.IPV4_PATH
                : StateLayer.IPV6_PATH, o.path, parts);
    }

    /** Runs a query and waits for its completion. */
    BlockList query(BlockList root) {
        call(() -> target.queryOffload(root));
        runUntil(() -> rec.queried.contains(root), 10 * S, "query completion");
        return root;
    }

    /** Queries every part of the connection's TCP object. */
    BlockList queryTcp(Offloaded o) {
        return query(BlockList.reference(StateLayer.TCP, o.tcp, BlockList.ALL));
    }

    BlockList queryNeighbor(Offloaded o) {
        return query(BlockList.reference(StateLayer.NEIGHBOR, o.neighbor, BlockList.ALL));
    }

    BlockList update(BlockList root) {
        call(() -> target.updateOffload(root));
        runUntil(() -> rec.updated.contains(root), 10 * S, "update completion");
        return root;
    }

    BlockList invalidate(BlockList root) {
        call(() -> target.invalidateOffload(root));
        runUntil(() -> rec.invalidated.contains(root), 10 * S, "invalidate completion");
        return root;
    }

    /** Updates the TCP cached variables with {@code flags} (spec §3.3.4). */
    BlockList updateTcp(Offloaded o, dev.chimney.tcp.TcpCached cached, int flags) {
        return update(BlockList.reference(StateLayer.TCP, o.tcp, 0).tcpCached(cached).tcpUpdateFlags(flags));
    }

    /**
     * Buffers that start at their maxima (no autotuned growth): the world's writers expect a write to take all it
     * is given, and the windows the spec's scenarios reason about are the configured sizes.
     */
    private static TcpConfig fixedBuffers(TcpConfig c) {
        return c.toBuilder().initialSendBufferBytes(c.sendBufferBytes())
                .initialReceiveBufferBytes(c.receiveBufferBytes()).build();
    }

    /** The peer application writes {@code data}. */
    void peerWrite(Conn c, byte[] data) {
        peerLoop.execute(() -> {
            int n = c.peerEnd.connection.write(data);
            assertEquals(data.length, n, "peer send buffer takes it all");
        });
    }

    /**
     * A segment from the peer's address and port to the host's, with sequence number {@code seq} and
     * acknowledgment {@code ack}, put on the wire as if the peer sent it (no timestamps: use {@link
     * Options#plainTcp()}).
     */
    byte[] peerSegment(Conn c, int seq, int ack, int flags, int window, int urgent, byte[] payload) {
        boolean v6 = !c.hostConn.localAddress().isIpv4();
        IpAddress src = peerAddress(v6);
        IpAddress dst = hostAddress(v6);
        byte[] tcp = WireFrames.tcp(src, dst, PORT, c.hostConn.localPort(), seq, ack, flags, window, urgent, null,
                payload);
        return WireFrames.ip(MAC_B, MAC_A, -1, src, dst, IpProtocol.TCP, tcp, new byte[0], false);
    }

    /** A peer segment carrying TCP options (timestamps, SACK), for worlds with timestamps negotiated. */
    byte[] peerSegment(Conn c, int seq, int ack, int flags, int window, dev.chimney.wire.TcpOptions options,
            byte[] payload) {
        boolean v6 = !c.hostConn.localAddress().isIpv4();
        IpAddress src = peerAddress(v6);
        IpAddress dst = hostAddress(v6);
        byte[] tcp = WireFrames.tcp(src, dst, PORT, c.hostConn.localPort(), seq, ack, flags, window, 0, options,
                payload);
        return WireFrames.ip(MAC_B, MAC_A, -1, src, dst, IpProtocol.TCP, tcp, new byte[0], false);
    }

    /** Cuts (true) or restores (false) each direction of the wire: target → peer, peer → target. */
    void cut(boolean toPeer, boolean fromPeer) {
        wire.aToB().impairments(toPeer ? Impairments.NONE.withLoss(1.0) : baseImpairments);
        wire.bToA().impairments(fromPeer ? Impairments.NONE.withLoss(1.0) : baseImpairments);
    }

    /** The peer's next sequence number and what it acknowledges (its RCV.NXT), read on its engine. */
    int peerSndNxt(Conn c) {
        return c.peerEnd.connection.sndNxt();
    }

    int peerRcvNxt(Conn c) {
        return c.peerEnd.connection.rcvNxt();
    }

    /** Terminates any tree and waits for the completion. */
    BlockList terminate0(BlockList root) {
        call(() -> target.terminateOffload(root));
        runUntil(() -> rec.terminated.contains(root), 10 * S, "terminate completion");
        return root;
    }

    /** The TCP node of a neighbor → path → TCP tree. */
    static BlockList tcpNode(BlockList root) {
        for (BlockList b : root.nodes()) {
            if (b.layer() == StateLayer.TCP) {
                return b;
            }
        }
        throw new AssertionError("no TCP node in " + root.nodes());
    }

    /** The bytes of a returned send chain, from SND.UNA (the first request's advanced data start). */
    static byte[] chainBytes(SendRequest chain) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (SendRequest r = chain; r != null; r = r.next()) {
            int skip = r.status() == null ? r.bytesTransferred() : 0;
            out.write(r.buffer(), r.offset() + skip, r.length() - skip);
        }
        return out.toByteArray();
    }

    /**
     * Takes a terminated connection back into the host stack (spec §3.2.10): the returned delegated state, the
     * returned send chain as its send data and BufferedData as unread data; frames held meanwhile are delivered.
     */
    TcpConnection uploadBack(Offloaded o, BlockList terminateRoot) {
        BlockList t = tcpNode(terminateRoot);
        TcpDelegated d = t.tcpDelegated();
        byte[] send = chainBytes(t.sendChain());
        TcpSnapshot s = new TcpSnapshot(o.snapshot.localAddress(), o.snapshot.remoteAddress(),
                o.snapshot.pathMtu(), o.snapshot.constants(), o.snapshot.cached(), withSendData(d, send));
        TcpConnection[] imported = new TcpConnection[1];
        hostLoop.execute(() -> {
            imported[0] = TcpConnection.importFrom(s, host.tcp(), o.conn.hostEnd);
            o.conn.hostEnd.connection = imported[0];
            o.conn.hostConn = imported[0];
            o.conn.hostEnd.readAll(imported[0]);
            hostPort.release(o.conn.hostConn.localPort(), o.conn.hostConn.remotePort());
        });
        runUntil(() -> imported[0] != null, S, "import");
        return imported[0];
    }

    // ============================================================================================ frames

    /** Frames the target itself built (not passed through from the host), in order. */
    List<WireFrames.Parsed> targetFrames() {
        List<WireFrames.Parsed> out = new ArrayList<>();
        int h = 0;
        List<byte[]> fromHost = hostPort.sent;
        for (Frame f : link.sent) {
            if (h < fromHost.size() && Arrays.equals(fromHost.get(h), f.bytes())) {
                h++;
                continue;
            }
            WireFrames.Parsed p = f.parsed();
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    /** TCP frames the target built since {@code fromNs}. */
    List<WireFrames.Parsed> targetTcpSince(long fromNs) {
        List<WireFrames.Parsed> out = new ArrayList<>();
        for (WireFrames.Parsed p : targetFrames()) {
            if (p.tcp() && p.timeNs() >= fromNs) {
                out.add(p);
            }
        }
        return out;
    }

    /** Puts a frame on the wire as if the peer sent it (it arrives at the target now). */
    void injectFromPeer(byte[] frame) {
        wire.a().inject(MemorySegment.ofArray(frame));
    }

    /** The link port as the target sees it, recording what it transmits. */
    final class LinkTap implements NetworkPort {
        final VirtualWire.Port inner;
        final List<Frame> sent = new ArrayList<>();

        LinkTap(VirtualWire.Port inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public int mtu() {
            return inner.mtu();
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            sent.add(new Frame(sim.nowNs(), frame.toArray(ValueLayout.JAVA_BYTE)));
            return inner.transmit(frame);
        }

        @Override
        public int receive(FrameSink sink, int budget) {
            return inner.receive(sink, budget);
        }

        @Override
        public long nextArrivalNs() {
            return inner.nextArrivalNs();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /**
     * The host stack's port: records what the host sends, logs everything the target passes up, and holds the
     * passed-up frames of offloaded connections until they are uploaded back.
     */
    final class HostPort implements NetworkPort {
        final NetworkPort inner;
        final List<byte[]> sent = new ArrayList<>();
        final List<Frame> passedUp = new ArrayList<>();
        final Map<Long, List<byte[]>> held = new HashMap<>();
        final ArrayDeque<byte[]> redeliver = new ArrayDeque<>();
        private FrameSink sink;
        private final FrameSink filter = this::fromTarget;

        HostPort(NetworkPort inner) {
            this.inner = inner;
        }

        void hold(int localPort, int remotePort) {
            held.putIfAbsent(key(localPort, remotePort), new ArrayList<>());
        }

        void release(int localPort, int remotePort) {
            List<byte[]> h = held.remove(key(localPort, remotePort));
            if (h != null) {
                redeliver.addAll(h);
            }
        }

        /** Frames passed up for a connection while it was held. */
        List<byte[]> heldFor(int localPort, int remotePort) {
            return held.getOrDefault(key(localPort, remotePort), List.of());
        }

        private static long key(int localPort, int remotePort) {
            return (long) localPort << 16 | remotePort;
        }

        private void fromTarget(MemorySegment frame) {
            byte[] bytes = frame.toArray(ValueLayout.JAVA_BYTE);
            passedUp.add(new Frame(sim.nowNs(), bytes));
            long key = tcpKey(frame);
            List<byte[]> h = key < 0 ? null : held.get(key);
            if (h != null) {
                h.add(bytes);
                return;
            }
            sink.onFrame(frame);
        }

        /** (local port, remote port) of a TCP frame to the host, or -1. */
        private long tcpKey(MemorySegment f) {
            try {
                EthernetView eth = new EthernetView().wrap(f).check();
                long l3 = eth.payloadOffset();
                long tcp;
                if (eth.etherType() == EtherType.IPV4) {
                    int ihl = (Bytes.u8(f, l3) & 0xF) * 4;
                    if (Bytes.u8(f, l3 + 9) != IpProtocol.TCP) {
                        return -1;
                    }
                    tcp = l3 + ihl;
                } else if (eth.etherType() == EtherType.IPV6) {
                    int next = Bytes.u8(f, l3 + 6);
                    tcp = l3 + 40;
                    if (next == IpProtocol.IPV6_FRAGMENT) {
                        next = Bytes.u8(f, tcp);
                        tcp += 8;
                    }
                    if (next != IpProtocol.TCP) {
                        return -1;
                    }
                } else {
                    return -1;
                }
                return key(Bytes.u16(f, tcp + 2), Bytes.u16(f, tcp));
            } catch (Exception e) {
                return -1;
            }
        }

        @Override
        public String name() {
            return "host-" + inner.name();
        }

        @Override
        public int mtu() {
            return inner.mtu();
        }

        @Override
        public boolean transmit(MemorySegment frame) {
            sent.add(frame.toArray(ValueLayout.JAVA_BYTE));
            return inner.transmit(frame);
        }

        @Override
        public int receive(FrameSink s, int budget) {
            this.sink = s;
            int n = 0;
            while (!redeliver.isEmpty() && n < budget) {
                s.onFrame(MemorySegment.ofArray(redeliver.poll()));
                n++;
            }
            return n + inner.receive(filter, budget - n);
        }

        @Override
        public long nextArrivalNs() {
            return redeliver.isEmpty() ? inner.nextArrivalNs() : sim.nowNs();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** An application end that reads everything it is given (the peer's, and the host's before offload). */
    static final class PeerEnd implements TcpConnection.Listener {
        TcpConnection connection;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean eof;
        CloseReason closed;
        /** When false, data is left unread (the window closes). */
        boolean reading = true;

        @Override
        public void onReadable(TcpConnection c) {
            if (reading) {
                readAll(c);
            }
        }

        void readAll(TcpConnection c) {
            byte[] buf = new byte[16384];
            int n;
            while ((n = c.read(buf, 0, buf.length)) > 0) {
                received.write(buf, 0, n);
            }
            if (n < 0) {
                eof = true;
            }
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed = reason;
        }
    }

    /** Deterministic test data. */
    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >>> 8));
        }
        return b;
    }

    static IpAddress hostAddress(boolean v6) {
        return v6 ? A6 : A4;
    }

    static IpAddress peerAddress(boolean v6) {
        return v6 ? B6 : B4;
    }
}
