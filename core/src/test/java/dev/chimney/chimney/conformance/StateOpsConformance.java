package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.PathOffloadState;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.UploadReason;
import dev.chimney.chimney.target.FaultInjectingTarget;
import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpConst;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.wire.MacAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Spec §8.6 (update, invalidate, query, hardware failure) and §8.2 (state objects and variables). */
abstract class StateOpsConformance extends ReceiveConformance {
    static final MacAddress MAC_X = MacAddress.parse("02:77:00:00:00:0d");

    static void assertStatuses(BlockList root, OffloadOperation op) {
        for (BlockList b : root.nodes()) {
            assertNotNull(b.status(), "R-TREE-2: " + b);
            assertTrue(b.status().allowedFor(op), "R-UPD-9 / R-QRY-3 / R-INV-5: " + b.status());
        }
    }

    // spec §8: R-QRY-1
    @Test
    void rQry1_rQry3_rState1_rState3_rUpd1_queryReturnsCurrentStateAndUpdatesChangeOnlyCachedValues() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.send(o, ChimneyWorld.pattern(40_000, 1));
        w.peerWrite(c, ChimneyWorld.pattern(30_000, 2));
        w.runUntil(() -> c.peerEnd.received.size() == 40_000 && w.delivered(o).length == 30_000, 5 * S, "data");
        w.run(300 * MS);
        BlockList q = w.queryTcp(o);
        assertStatuses(q, OffloadOperation.QUERY);
        assertEquals(o.snapshot.constants(), q.tcpConst(), "R-STATE-3: const");
        assertEquals(o.snapshot.cached(), q.tcpCached(), "R-STATE-1: traffic never changes cached values");
        TcpDelegated d = q.tcpDelegated();
        assertEquals(w.peerSndNxt(c), d.rcvNxt(), "R-STATE-3: current RcvNxt");
        assertEquals(w.peerRcvNxt(c), d.sndUna(), "R-STATE-3: current SndUna");
        BlockList qp = w.query(w.pathRef(o, BlockList.ALL));
        assertEquals(o.snapshot.pathMtu(), qp.pathCached().pathMtu());
        assertEquals(o.snapshot.remoteAddress(), qp.pathConst().destinationAddress());
        BlockList qn = w.queryNeighbor(o);
        assertEquals(ChimneyWorld.MAC_B, qn.neighborCached().dlDestinationAddress());
        // R-UPD-1: an update carrying other const and delegated values applies only the cached ones
        TcpConst otherConst = new TcpConst(1, 2, false, false, false, 0, 0, 100, 7);
        TcpCached ttl = o.snapshot.cached().withIpFields(33, 0x20, 0);
        BlockList u = BlockList.reference(StateLayer.TCP, o.tcp, 0).tcpConst(otherConst).tcpCached(ttl)
                .tcpDelegated(InitiateConformance.rewind(d, d.sndUna() + 5000, d.sndUna() + 5000));
        w.update(u);
        assertStatuses(u, OffloadOperation.UPDATE);
        assertEquals(OffloadStatus.SUCCESS, u.status());
        BlockList q2 = w.queryTcp(o);
        assertEquals(o.snapshot.constants(), q2.tcpConst(), "R-UPD-1: const ignored");
        assertEquals(ttl, q2.tcpCached(), "R-UPD-1: cached applied");
        assertEquals(d.sndNxt(), q2.tcpDelegated().sndNxt(), "R-UPD-1: delegated ignored");
        w.send(o, ChimneyWorld.pattern(1000, 3));
        w.runUntil(() -> c.peerEnd.received.size() == 41_000, S, "still running");
    }

    @Test
    void rQry2_rUpd10_overlappingQueriesAndConcurrentUpdatesOfDifferentObjects() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded a = w.offload(w.connect(false));
        ChimneyWorld.Offloaded b = w.offload(w.connect(true));
        BlockList q1 = BlockList.reference(StateLayer.TCP, a.tcp, BlockList.DELEGATED);
        BlockList q2 = BlockList.reference(StateLayer.TCP, a.tcp, BlockList.ALL);
        BlockList u1 = BlockList.reference(StateLayer.TCP, a.tcp, 0).tcpCached(a.snapshot.cached().withNagling(false));
        BlockList u2 = BlockList.reference(StateLayer.TCP, b.tcp, 0).tcpCached(b.snapshot.cached().withNagling(false));
        w.call(() -> w.target.queryOffload(q1));
        w.call(() -> w.target.queryOffload(q2));
        w.call(() -> w.target.updateOffload(u1));
        w.call(() -> w.target.updateOffload(u2));
        w.runUntil(() -> w.rec.queried.size() == 2 && w.rec.updated.size() == 2, S, "all four");
        for (BlockList r : List.of(q1, q2, u1, u2)) {
            assertEquals(OffloadStatus.SUCCESS, r.status(), "R-QRY-2 / R-UPD-10: " + r);
        }
        assertNotNull(q1.tcpDelegated());
        assertNotNull(q2.tcpConst());
        assertTrue(!w.queryTcp(a).tcpCached().naglingEnabled() && !w.queryTcp(b).tcpCached().naglingEnabled());
    }

    @Test
    void rUpd4_rTree9_rUpd2_aNeighborMacUpdateAndARelinkChangeEveryDependentConnection() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded a = w.offload(w.connect(false));
        ChimneyWorld.Offloaded b = w.prepareTcp(w.connect(false));
        w.initiate(BlockList.reference(StateLayer.IPV4_PATH, a.path, 0).dependent(b.tcpNode));
        w.update(BlockList.reference(StateLayer.NEIGHBOR, a.neighbor, BlockList.CACHED).neighborCached(
                new NeighborOffloadState.Cached(MAC_X, 0)));
        long at = w.sim.nowNs();
        w.send(a, new byte[100]);
        w.send(b, new byte[100]);
        w.run(10 * MS);
        List<WireFrames.Parsed> frames = w.targetTcpSince(at);
        assertTrue(frames.stream().filter(p -> p.payloadLength() > 0).count() >= 2);
        for (WireFrames.Parsed p : frames) {
            assertEquals(MAC_X, p.dst(), "R-UPD-4 / R-TREE-9: every dependent connection: " + p);
        }
        // a relink to a new neighbor (another MAC, a VLAN tag): the path and both connections move (spec §3.3.3)
        OffloadHandle n2 = new OffloadHandle("N2");
        w.initiate(BlockList.newNeighbor(n2, new NeighborOffloadState.Const(null, 5),
                new NeighborOffloadState.Cached(ChimneyWorld.MAC_B, 0), new NeighborOffloadState.Delegated(0)));
        BlockList relink = BlockList.reference(StateLayer.NEIGHBOR, n2, 0).dependent(w.pathRef(a, 0));
        w.update(relink);
        assertStatuses(relink, OffloadOperation.UPDATE);
        long at2 = w.sim.nowNs();
        w.run(2 * S); // retransmissions of the lost data go out through the new neighbor
        List<WireFrames.Parsed> moved = w.targetTcpSince(at2);
        assertTrue(moved.stream().map(WireFrames.Parsed::srcPort).distinct().count() == 2, "both connections sent");
        for (WireFrames.Parsed p : moved) {
            assertEquals(ChimneyWorld.MAC_B, p.dst(), "R-UPD-2: the new neighbor's MAC");
            assertTrue(p.tagged() && p.vlanId() == 5, "R-UPD-2: the new neighbor's VLAN");
        }
        // the old neighbor has no dependents now: it can be terminated
        BlockList t = w.terminate0(BlockList.reference(StateLayer.NEIGHBOR, a.neighbor, BlockList.DELEGATED));
        assertEquals(OffloadStatus.SUCCESS, t.status());
    }

    @Test
    void rUpd5_rUpd9_aSmallerPathMtuAppliesToNewSegmentsAndAFailedUpdateChangesNothing() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.update(w.pathRef(o, BlockList.CACHED).pathCached(new PathOffloadState.Cached(1000)));
        long at = w.sim.nowNs();
        w.send(o, ChimneyWorld.pattern(20_000, 4));
        w.runUntil(() -> c.peerEnd.received.size() == 20_000, 5 * S, "data");
        for (WireFrames.Parsed p : w.targetTcpSince(at)) {
            assertTrue(p.ipTotalLength() <= 1000, "R-UPD-5: " + p.ipTotalLength());
        }
        BlockList bad = w.update(w.pathRef(o, BlockList.CACHED).pathCached(new PathOffloadState.Cached(60_000)));
        assertEquals(OffloadStatus.FAILURE, bad.status(), "R-UPD-9: beyond what the target supports");
        assertStatuses(bad, OffloadOperation.UPDATE);
        w.send(o, ChimneyWorld.pattern(5000, 5));
        w.runUntil(() -> c.peerEnd.received.size() == 25_000, 5 * S, "R-UPD-9: the connection runs on normally");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray());
    }

    @Test
    void rUpd6_rUpd7_rTimer10_rTimer11_keepaliveEnabledRestartedAndExhaustedByUpdates() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.run(5 * S);
        assertTrue(w.targetTcpSince(w.sim.nowNs() - 4 * S).isEmpty(), "R-TIMER-11: keepalive off: nothing sent");
        TerminateConformance.blackhole(w, o);
        long t0 = w.sim.nowNs();
        w.updateTcp(o, o.snapshot.cached().withKeepAlive(true, 3, 1000, 500), 0); // R-UPD-6: on
        w.run(600 * MS);
        w.updateTcp(o, o.snapshot.cached().withKeepAlive(true, 3, 1000, 500),
                BlockList.TCP_FLAG_KEEP_ALIVE_RESTART); // R-UPD-7: from zero again
        long t1 = w.sim.nowNs();
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), 10 * S, "the keepalive timeout");
        List<Long> probes = w.targetTcpSince(t0).stream().filter(p -> p.payloadLength() == 0)
                .map(p -> (p.timeNs() - t1) / MS).toList();
        assertEquals(List.of(1000L, 1500L, 2000L), probes, "R-TIMER-10/R-UPD-7: KaTimeout after the restart, then"
                + " KaInterval, KaProbeCount probes");
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.TIMEOUT_EXPIRATION)), w.rec.eventsFor(o.tcp),
                "R-EVT-2: keepalive exhausted");
        assertTrue(t0 < t1);
    }

    @Test
    void rUpd8_maxRtRestartSetsTotalRtToZero() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded o = w.offload(w.connect(false));
        TerminateConformance.blackhole(w, o);
        w.updateTcp(o, o.snapshot.cached().withMaxRtTicks(-1), 0);
        w.send(o, new byte[500]);
        w.run(3 * S);
        assertTrue(w.queryTcp(o).tcpDelegated().totalRt() > 1000, "retransmitting for a while");
        w.updateTcp(o, o.snapshot.cached().withMaxRtTicks(-1), BlockList.TCP_FLAG_MAX_RT_RESTART);
        assertEquals(0, w.queryTcp(o).tcpDelegated().totalRt(), "R-UPD-8");
    }

    @Test
    void rInv1_rInv2_rInv3_rInv4_invalidationStopsSendingAsksForTheUploadAndKeepsTheObject() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        BlockList inv = BlockList.reference(StateLayer.NEIGHBOR, o.neighbor, 0);
        w.invalidate(inv);
        assertSame(inv, w.rec.invalidated.getFirst(), "R-INV-1: the same root");
        assertStatuses(inv, OffloadOperation.INVALIDATE);
        assertEquals(OffloadStatus.SUCCESS, inv.status());
        long at = w.sim.nowNs();
        SendRequest s = w.send(o, ChimneyWorld.pattern(3000, 1));
        w.run(2 * S);
        assertTrue(w.targetTcpSince(at).stream().noneMatch(p -> p.payloadLength() > 0), "R-INV-2: nothing sent");
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.INVALID_STATE)), w.rec.eventsFor(o.tcp), "R-INV-3");
        BlockList t = w.terminate(o);
        for (BlockList b : t.nodes()) {
            assertEquals(OffloadStatus.SUCCESS, b.status(), "R-INV-4: kept until its terminate: " + b);
        }
        assertEquals(List.of(s), list(ChimneyWorld.tcpNode(t).sendChain()));
        w.uploadBack(o, t);
        w.runUntil(() -> c.peerEnd.received.size() == 3000, 5 * S, "the host sends it");
    }

    @Test
    void rInv2_aRelinkBeforeAnySendKeepsTheConnectionRunning() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.invalidate(BlockList.reference(StateLayer.NEIGHBOR, o.neighbor, 0));
        OffloadHandle n2 = new OffloadHandle("N2");
        w.initiate(w.newNeighbor(n2));
        w.update(BlockList.reference(StateLayer.NEIGHBOR, n2, 0).dependent(w.pathRef(o, 0)));
        w.send(o, ChimneyWorld.pattern(3000, 1));
        w.runUntil(() -> c.peerEnd.received.size() == 3000, 5 * S, "data through the new neighbor");
        assertTrue(w.rec.eventsFor(o.tcp).isEmpty(), "§9 WA 22: valid again, no upload needed");
    }

    @Test
    void rHwf1_rInv5_rQry3_aFailedQueryRunsTheHardwareFailureSequence() {
        ChimneyWorld w = world();
        FaultInjectingTarget f = faults(w);
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        ChimneyWorld.Offloaded o = w.offload(w.connect(false));
        ChimneyWorld.Conn c2 = c;
        ChimneyWorld.Offloaded o2 = w.offload(c2);
        w.send(o2, ChimneyWorld.pattern(200_000, 1));
        ReceiveRequest r = w.post(o2, 1000, true);
        w.run(S);
        f.failNextOperation(OffloadOperation.QUERY);
        BlockList q = w.query(BlockList.reference(StateLayer.TCP, o2.tcp, BlockList.ALL));
        assertEquals(OffloadStatus.FAILURE, q.status(), "R-HWF-1 step 1");
        w.run(10 * MS);
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.HARDWARE_FAILURE), TcpEvent.ABORT),
                w.rec.eventsFor(o2.tcp), "R-HWF-1 steps 2 and 3");
        BlockList t = w.terminate(o2);
        assertEquals(OffloadStatus.SUCCESS, ChimneyWorld.tcpNode(t).status(), "R-HWF-1 step 5");
        assertEquals(OffloadStatus.REQUEST_ABORTED, r.status(), "R-HWF-1 step 4: receives aborted");
        for (SendRequest s : w.rec.sends) {
            assertTrue(s.status() == OffloadStatus.REQUEST_ABORTED || s.status() == OffloadStatus.SUCCESS);
        }
        assertTrue(w.rec.sends.stream().anyMatch(s -> s.status() == OffloadStatus.REQUEST_ABORTED),
                "R-HWF-1 step 4: sends aborted");
        assertEquals(null, ChimneyWorld.tcpNode(t).sendChain(), "aborted, not handed back");
        // the same for an invalidate
        f.failNextOperation(OffloadOperation.INVALIDATE);
        BlockList inv = w.invalidate(BlockList.reference(StateLayer.TCP, o.tcp, 0));
        assertEquals(OffloadStatus.FAILURE, inv.status(), "R-INV-5");
        w.run(10 * MS);
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.HARDWARE_FAILURE), TcpEvent.ABORT),
                w.rec.eventsFor(o.tcp), "R-INV-5: the hardware-failure sequence");
    }

    @Test
    void rHwf1_aFailedTerminateIsRetriedAndAbortsEverything() {
        ChimneyWorld w = world();
        FaultInjectingTarget f = faults(w);
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        ChimneyWorld.Offloaded o = w.offload(c);
        SendRequest big = w.send(o, ChimneyWorld.pattern(150_000, 1));
        w.run(S);
        f.failNextOperation(OffloadOperation.TERMINATE);
        BlockList first = w.terminate(o);
        assertEquals(OffloadStatus.FAILURE, ChimneyWorld.tcpNode(first).status(), "R-HWF-1 step 1");
        w.run(10 * MS);
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.HARDWARE_FAILURE), TcpEvent.ABORT),
                w.rec.eventsFor(o.tcp));
        BlockList second = w.terminate(o); // §9 WA 27: the host terminates again
        assertEquals(OffloadStatus.SUCCESS, ChimneyWorld.tcpNode(second).status());
        assertEquals(OffloadStatus.REQUEST_ABORTED, big.status(), "R-HWF-1 step 4");
    }

    // spec §8: R-OFF-4
    @Test
    void rOff4_rIm3_faultInjectedAllocationFailuresLeaveEveryConnectionWorking() {
        ChimneyWorld w = world();
        FaultInjectingTarget f = faults(w);
        InitiateConformance.RefTree t = InitiateConformance.referenceTree(w, false);
        // T2 fails on resources, P2 on something else: the spec's failure case, by the intermediate wrapper
        // matched by its constants, not by identity: an intermediate (the team) passes its own copy of the node down
        BlockList t2 = t.tcps.get(1).tcpNode;
        f.failNodes(b -> b.layer() == StateLayer.TCP && t2.tcpConst().equals(b.tcpConst()), OffloadStatus.RESOURCES);
        w.initiate(t.root);
        f.off();
        assertEquals(OffloadStatus.OFFLOAD_PARTIAL_SUCCESS, t.order.get(1).status(), "P1: T2 failed");
        assertEquals(OffloadStatus.RESOURCES, t.tcps.get(1).tcpNode.status());
        assertEquals(OffloadStatus.SUCCESS, t.tcps.get(0).tcpNode.status());
        assertEquals(OffloadStatus.SUCCESS, t.tcps.get(2).tcpNode.status());
        assertEquals(OffloadStatus.SUCCESS, t.order.get(0).status(), "N1: all its paths offloaded");
        assertTrue(f.allocationsFailed == 1);
        w.restore(t.tcps.get(1));
        for (ChimneyWorld.Offloaded o : List.of(t.tcps.get(0), t.tcps.get(2))) {
            SendRequest s = w.send(o, ChimneyWorld.pattern(4000, 1));
            w.runUntil(() -> w.rec.sends.contains(s), 5 * S, "a send");
            assertSame(s, w.rec.sends.get(w.rec.sends.indexOf(s)), "R-IM-3: the same request object comes back");
        }
        w.hostLoop.execute(() -> w.hostWrite(t.tcps.get(1).conn, ChimneyWorld.pattern(4000, 2)));
        w.runUntil(() -> t.tcps.get(1).conn.peerEnd.received.size() == 4000, 5 * S, "the failed one on the host");
    }

    // ====================================================================================== §8.2 state objects

    @Test
    void rState4_rRfc3_scaledRttIsUsedForTheRtoAndReturnedScaled() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Spec s = ChimneyWorld.spec().delegated(d -> new TcpDelegated(d.state(), d.rcvNxt(), d.rcvWnd(),
                d.sndUna(), d.sndNxt(), d.sndMax(), d.sndWnd(), d.maxSndWnd(), d.sndWl1(), d.cWnd(), d.ssThresh(),
                8 * 300, 4 * 50, d.tsRecent(), d.tsRecentAge(), d.tsTime(), d.totalRt(), d.dupAckCount(),
                d.sndWndProbeCount(), d.keepAliveProbeCount(), d.keepAliveTimeoutDelta(), d.retransmitCount(), -1,
                d.dWnd(), d.sendData(), d.receivedData(), d.outOfOrder()));
        ChimneyWorld.Offloaded o = w.offload(c, s);
        TerminateConformance.blackhole(w, o);
        long at = w.sim.nowNs();
        w.send(o, new byte[100]);
        w.run(2 * S);
        List<WireFrames.Parsed> data = w.targetTcpSince(at).stream().filter(p -> p.payloadLength() > 0).toList();
        assertTrue(data.size() >= 2);
        long rto = (data.get(1).timeNs() - data.get(0).timeNs()) / MS;
        assertEquals(300 + 4 * 50, rto, "R-RFC-3: RTO = SRTT + 4·RTTVAR from SRtt/8 and RttVar/4");
        TcpDelegated back = w.queryTcp(o).tcpDelegated();
        assertEquals(8 * 300, back.sRtt(), "R-STATE-4: returned as 8×SRTT (no new sample)");
        assertEquals(4 * 50, back.rttVar(), "R-STATE-4: 4×RTTVAR");
    }

    @Test
    void rState5_aDlSourceAddressIsTheSourceOfEveryFrame() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Spec s = ChimneyWorld.spec();
        s.dlSource = MAC_X;
        ChimneyWorld.Offloaded o = w.offload(c, s);
        long at = w.sim.nowNs();
        w.send(o, ChimneyWorld.pattern(3000, 1));
        w.run(50 * MS);
        List<WireFrames.Parsed> frames = w.targetTcpSince(at);
        assertTrue(!frames.isEmpty());
        for (WireFrames.Parsed p : frames) {
            assertEquals(MAC_X, p.src(), "R-STATE-5");
        }
    }

    @Test
    void rState7_timestampsInEverySegmentExactlyWhenNegotiated() {
        for (boolean ts : new boolean[] {true, false}) {
            ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.timestamps(ts)));
            ChimneyWorld.Conn c = w.connect(false);
            ChimneyWorld.Offloaded o = w.offload(c);
            long at = w.sim.nowNs();
            w.send(o, ChimneyWorld.pattern(20_000, 1));
            w.peerWrite(c, ChimneyWorld.pattern(20_000, 2));
            w.runUntil(() -> c.peerEnd.received.size() == 20_000 && w.delivered(o).length == 20_000, 5 * S, "data");
            w.run(500 * MS);
            List<WireFrames.Parsed> frames = w.targetTcpSince(at);
            assertTrue(frames.size() > 10);
            for (WireFrames.Parsed p : frames) {
                assertEquals(ts, p.timestamps(), "R-STATE-7: " + p);
            }
        }
    }

    @Test
    void rState8_rState11_scaledWindowsAreAdvertisedAndAWindowUpdateIsAnnounced() {
        ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.receiveBufferBytes(256 * 1024)));
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        ChimneyWorld.Offloaded o = w.offload(c);
        int scale = o.snapshot.constants().rcvWindScale();
        assertTrue(scale > 0 && o.snapshot.constants().sndWindScale() > 0, "scaling negotiated");
        long at = w.sim.nowNs();
        w.send(o, ChimneyWorld.pattern(200_000, 1));
        w.peerWrite(c, ChimneyWorld.pattern(1000, 2));
        w.run(2 * S);
        // interpreted: far more than 64 KiB went out before the peer's (unread) buffer filled
        int sent = w.targetTcpSince(at).stream().mapToInt(WireFrames.Parsed::payloadLength).sum();
        assertTrue(sent > 150_000, "R-STATE-8: the peer's scaled window was used: " + sent);
        WireFrames.Parsed last = w.targetTcpSince(at).getLast();
        TcpDelegated d = w.queryTcp(o).tcpDelegated();
        assertTrue(Math.abs((d.rcvWnd() >> scale) - last.window()) <= 1, "R-STATE-8: RcvWnd advertised with "
                + "RcvWindScale: " + d.rcvWnd() + " >> " + scale + " vs " + last.window());
        // R-STATE-11: a larger InitialRcvWnd with UPDATE_RCV_WND is advertised at once
        long at2 = w.sim.nowNs();
        w.updateTcp(o, o.snapshot.cached().withInitialRcvWnd(1 << 20), BlockList.TCP_FLAG_UPDATE_RCV_WND);
        w.run(10 * MS);
        int newWindow = w.targetTcpSince(at2).getLast().window() << scale;
        assertTrue(newWindow > 400 * 1024, "R-STATE-11: " + newWindow);
    }

    @Test
    void rState9_sendBacklogSizeIsUnsupported() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded o = w.offload(w.connect(false));
        assertEquals(BlockList.BACKLOG_UNSUPPORTED, w.queryTcp(o).sendBacklogSize(), "R-STATE-9: 0xFFFFFFFF");
    }

    @Test
    void rState12_cachedIpFieldsOnEveryPacketAndUpdatedValuesOnLaterOnes() {
        for (boolean v6 : new boolean[] {false, true}) {
            ChimneyWorld w = world();
            ChimneyWorld.Conn c = w.connect(v6);
            ChimneyWorld.Offloaded o = w.offload(c, ChimneyWorld.spec().cached(k -> k.withIpFields(17, 0x28, 0x12345)));
            long at = w.sim.nowNs();
            SendRequest s1 = w.send(o, ChimneyWorld.pattern(5000, 1));
            w.runUntil(() -> w.rec.sends.contains(s1), S, "data");
            for (WireFrames.Parsed p : w.targetTcpSince(at)) {
                assertEquals(17, p.ttl(), "R-STATE-12: TTL / hop limit");
                assertEquals(0x28, p.tos(), "R-STATE-12: TOS / traffic class");
                if (v6) {
                    assertEquals(0x12345, p.flowLabel(), "R-STATE-12: flow label");
                }
            }
            w.updateTcp(o, o.snapshot.cached().withIpFields(99, 0x10, 7), 0);
            long at2 = w.sim.nowNs();
            SendRequest s2 = w.send(o, ChimneyWorld.pattern(5000, 2));
            w.runUntil(() -> w.rec.sends.contains(s2), S, "data");
            for (WireFrames.Parsed p : w.targetTcpSince(at2)) {
                assertEquals(99, p.ttl(), "R-STATE-12: updated");
                assertEquals(0x10, p.tos());
                if (v6) {
                    assertEquals(7, p.flowLabel());
                }
            }
        }
    }
}
