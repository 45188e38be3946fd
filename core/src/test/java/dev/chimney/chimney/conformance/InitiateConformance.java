package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.PathOffloadState;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.MacAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Spec §8.3 (trees, block lists, handles) and §8.4 (initiate offload). */
abstract class InitiateConformance extends ConformanceBase {

    static final OffloadCapabilities CAPS = ChimneyWorld.CAPS;

    // spec §8: R-INIT-5, R-TERM-1
    @Test
    void rOff1_rInit4_rInit5_rTerm1_rTerm11_offloadTransferTerminateAndUploadBack() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        w.hostWrite(c, ChimneyWorld.pattern(3000, 1));
        w.run(50 * MS);
        ChimneyWorld.Offloaded o = w.prepare(c, 3);
        w.call(() -> w.target.initiateOffload(o.root));
        assertTrue(w.rec.initiated.isEmpty(), "R-OFF-1: the request returned before its completion");
        w.runUntil(() -> !w.rec.initiated.isEmpty(), S, "initiate completion");
        assertSame(o.root, w.rec.initiated.getFirst(), "R-OFF-1: completed with the same root");
        byte[] up = ChimneyWorld.pattern(200_000, 2);
        w.send(o, Arrays.copyOfRange(up, 0, 100_000), Arrays.copyOfRange(up, 100_000, 200_000));
        byte[] down = ChimneyWorld.pattern(150_000, 3);
        w.peerWrite(c, down);
        w.runUntil(() -> c.peerEnd.received.size() == 203_000, 20 * S, "upload stream at the peer");
        w.runUntil(() -> w.rec.sends.size() == 2, 5 * S, "send completions");
        for (SendRequest r : w.rec.sends) {
            assertEquals(OffloadStatus.SUCCESS, r.status());
        }
        w.runUntil(() -> w.delivered(o).length == 150_000, 20 * S, "download stream at the host");
        BlockList t = w.terminate(o);
        for (BlockList b : t.nodes()) {
            assertEquals(OffloadStatus.SUCCESS, b.status(), b.toString());
        }
        assertNull(ChimneyWorld.tcpNode(t).sendChain(), "everything acknowledged: no chain (R-TERM-11)");
        TcpConnection back = w.uploadBack(o, t);
        byte[] more = ChimneyWorld.pattern(5000, 4);
        w.hostLoop.execute(() -> w.hostWrite(c, more));
        w.peerWrite(c, more);
        w.runUntil(() -> c.peerEnd.received.size() == 208_000 && c.hostEnd.received.size() == 5000, 10 * S,
                "traffic after the upload");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray());
        assertArrayEquals(concat(down, more), concat(w.delivered(o), c.hostEnd.received.toByteArray()));
        assertTrue(back.state().isSynchronized());
        for (WireFrames.Parsed p : w.targetFrames()) {
            assertFalse(p.has(dev.chimney.wire.TcpFlags.SYN), "R-INIT-4: the target never sends SYN: " + p);
        }
    }

    @Test
    void rTree7_everyIndicationCarriesTheHandleOfItsConnection() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c1 = w.connect(false);
        ChimneyWorld.Conn c2 = w.connect(true);
        ChimneyWorld.Offloaded a = w.offload(c1);
        ChimneyWorld.Offloaded b = w.offload(c2);
        w.peerWrite(c1, ChimneyWorld.pattern(3000, 1));
        w.peerWrite(c2, ChimneyWorld.pattern(5000, 2));
        w.run(300 * MS);
        w.peerLoop.execute(() -> c1.peerEnd.connection.shutdownOutput());
        w.peerLoop.execute(() -> c2.peerEnd.connection.abort());
        w.run(300 * MS);
        assertArrayEquals(ChimneyWorld.pattern(3000, 1), w.delivered(a), "indications for a carried a's handle");
        assertArrayEquals(ChimneyWorld.pattern(5000, 2), w.delivered(b), "indications for b carried b's handle");
        assertEquals(List.of(dev.chimney.chimney.TcpEvent.DISCONNECT), w.rec.eventsFor(a.tcp), "R-TREE-7");
        assertEquals(List.of(dev.chimney.chimney.TcpEvent.ABORT), w.rec.eventsFor(b.tcp), "R-TREE-7");
        for (HostRecorder.Call call : w.rec.log) {
            if (call.kind().equals("indicate") || call.kind().equals("event")) {
                assertTrue(call.subject() == a.tcp || call.subject() == b.tcp, "R-TREE-7: " + call);
            }
        }
    }

    // spec §8: R-INIT-5
    @Test
    void rInit5_everyRequestReturnsBeforeItsCompletion() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded o = w.offload(w.connect(false));
        int before = w.rec.log.size();
        // each request must only be queued: nothing reaches the host while the harness is inside the call (the
        // recorder asserts it) or before the simulation runs
        w.call(() -> w.target.tcpSend(o.context(), SendRequest.of(new byte[10])));
        w.call(() -> w.target.tcpReceive(o.context(), new dev.chimney.chimney.ReceiveRequest(new byte[0], 0, 0,
                false, 0)));
        w.call(() -> w.target.queryOffload(BlockList.reference(StateLayer.TCP, o.tcp, BlockList.ALL)));
        w.call(() -> w.target.updateOffload(BlockList.reference(StateLayer.NEIGHBOR, o.neighbor, 0)));
        w.call(() -> w.target.queryStatistics(s -> w.rec.log.add(new HostRecorder.Call(0, "stats", s, null))));
        assertEquals(before, w.rec.log.size(), "nothing completed inside or right after the calls");
        w.run(50 * MS);
        assertTrue(w.rec.log.size() >= before + 5, "then everything completed: " + w.rec.log.subList(before,
                w.rec.log.size()));
    }

    // ====================================================================================== trees (§2.14, §3.1.4)

    /** The spec's reference tree N1 → {P1 → {T1, T2}, P2 → {T3}}, N2 → {P3 → {T4, T5}} over five connections. */
    static final class RefTree {
        final List<BlockList> order = new ArrayList<>();
        final List<ChimneyWorld.Offloaded> tcps = new ArrayList<>();
        BlockList root;
    }

    /** P2 is an IPv6 path (its connection T3 too); everything else IPv4. */
    static RefTree referenceTree(ChimneyWorld w, boolean withN2) {
        List<ChimneyWorld.Conn> conns = new ArrayList<>();
        for (int i = 0; i < (withN2 ? 5 : 3); i++) {
            conns.add(w.connect(i == 2));
        }
        RefTree t = new RefTree();
        for (ChimneyWorld.Conn c : conns) {
            t.tcps.add(w.prepareTcp(c));
        }
        BlockList n1 = w.newNeighbor(new OffloadHandle("N1"));
        BlockList p1 = w.newPath(new OffloadHandle("P1"), false);
        BlockList p2 = w.newPath(new OffloadHandle("P2"), true);
        p1.dependent(t.tcps.get(0).tcpNode).dependent(t.tcps.get(1).tcpNode);
        p2.dependent(t.tcps.get(2).tcpNode);
        n1.dependent(p1).dependent(p2);
        t.order.addAll(List.of(n1, p1, t.tcps.get(0).tcpNode, t.tcps.get(1).tcpNode, p2, t.tcps.get(2).tcpNode));
        if (withN2) {
            BlockList n2 = w.newNeighbor(new OffloadHandle("N2"));
            BlockList p3 = w.newPath(new OffloadHandle("P3"), false);
            p3.dependent(t.tcps.get(3).tcpNode).dependent(t.tcps.get(4).tcpNode);
            n2.dependent(p3);
            n1.link(n2);
            t.order.addAll(List.of(n2, p3, t.tcps.get(3).tcpNode, t.tcps.get(4).tcpNode));
        }
        t.root = n1;
        return t;
    }

    static void assertInitiateStatuses(BlockList root) {
        for (BlockList b : root.nodes()) {
            assertNotNull(b.status(), "R-TREE-2: a status on every BL: " + b);
            assertTrue(b.status().allowedFor(OffloadOperation.INITIATE), "R-OFF-11: " + b.status());
            if (!b.status().isOffloaded() && b.handle() != null && b.tcpConst() != null) {
                assertNull(b.handle().miniportContext(), "R-TREE-6: a failed BL's slot stays empty: " + b);
            }
        }
    }

    @ParameterizedTest(name = "capacity for {0} objects")
    @ValueSource(ints = {1, 2, 3, 4, 6, 8, 9, 10})
    void rTree1_rTree2_rOff11_depthFirstBreadthNextOffloadsExactlyTheFirstK(int k) {
        ChimneyWorld w = world(ChimneyWorld.options().maxObjects(k));
        RefTree t = referenceTree(w, true);
        w.initiate(t.root);
        assertInitiateStatuses(t.root);
        // the order N1, P1, T1, T2, P2, T3, N2, P3, T4, T5: exactly the first k are offloaded (R-TREE-1), the
        // first one past the capacity fails on resources, and nothing after it is offloaded
        for (int i = 0; i < t.order.size(); i++) {
            assertEquals(i < k, t.order.get(i).status().isOffloaded(), "node " + i + " " + t.order.get(i));
        }
        if (k < t.order.size()) {
            assertEquals(OffloadStatus.RESOURCES, t.order.get(k).status());
        }
    }

    // spec §8: R-OFF-4, R-OFF-2, R-OFF-3, R-OFF-6
    @Test
    void rOff4_rOff2_rOff3_rOff6_theFailureCaseTreeOfTheSpec() {
        // N1 → {P1 → {T1, T2}, P2 → {T3}}: room for three objects (T2 fails on resources) and no IPv6 (P2, an IPv6
        // path, fails for another reason)
        ChimneyWorld w = world(ChimneyWorld.options().maxObjects(3).capabilities(CAPS.withIp(true, false)));
        RefTree t = referenceTree(w, false);
        w.initiate(t.root);
        assertInitiateStatuses(t.root);
        List<OffloadStatus> got = t.order.stream().map(BlockList::status).toList();
        assertEquals(List.of(OffloadStatus.OFFLOAD_PARTIAL_SUCCESS, OffloadStatus.OFFLOAD_PARTIAL_SUCCESS,
                OffloadStatus.SUCCESS, OffloadStatus.RESOURCES, OffloadStatus.FAILURE, OffloadStatus.FAILURE), got);
        assertNull(t.tcps.get(2).tcp.miniportContext(), "T3 was never attempted");
        // every connection involved keeps working: T1 offloaded, T2 and T3 back on the host
        ChimneyWorld.Offloaded t1 = t.tcps.get(0);
        w.send(t1, ChimneyWorld.pattern(5000, 9));
        for (int i = 1; i < 3; i++) {
            ChimneyWorld.Offloaded failed = t.tcps.get(i);
            TcpConnection back = w.restore(failed);
            w.hostLoop.execute(() -> w.hostWrite(failed.conn, ChimneyWorld.pattern(3000, 7)));
            assertTrue(back.state().isSynchronized());
        }
        w.runUntil(() -> t.tcps.get(0).conn.peerEnd.received.size() == 5000
                && t.tcps.get(1).conn.peerEnd.received.size() == 3000
                && t.tcps.get(2).conn.peerEnd.received.size() == 3000, 10 * S, "traffic on all three");
    }

    @Test
    void rOff5_aFailedRootStopsEverything() {
        // the root neighbor asks for a source MAC the target cannot use: OFFLOAD_HW_ADDRESS_ENTRIES
        OffloadCapabilities noMac = new OffloadCapabilities(true, true, false, true, 100, 100, 100, 16 << 20, 9000,
                false, true);
        ChimneyWorld w = world(ChimneyWorld.options().capabilities(noMac));
        RefTree t = referenceTree(w, true);
        BlockList n1 = BlockList.newNeighbor(new OffloadHandle("N1'"), new NeighborOffloadState.Const(
                MacAddress.parse("02:77:00:00:00:0c"), 0), new NeighborOffloadState.Cached(ChimneyWorld.MAC_B, 0),
                new NeighborOffloadState.Delegated(0));
        // re-root: the same dependents under a neighbor that cannot be offloaded, N2 as its sibling
        BlockList oldN1 = t.root;
        n1.dependent(oldN1.dependents());
        n1.link(oldN1.next());
        w.initiate(n1);
        assertEquals(OffloadStatus.OFFLOAD_HW_ADDRESS_ENTRIES, n1.status());
        for (BlockList b : n1.nodes()) {
            if (b != n1) {
                assertEquals(OffloadStatus.FAILURE, b.status(), "R-OFF-5: not attempted: " + b);
            }
            assertNull(b.handle().miniportContext(), "R-TREE-6: nothing offloaded: " + b);
        }
        assertInitiateStatuses(n1);
    }

    @Test
    void rTree3_rTree4_rTree5_placeholdersLinkersAndNewOffloadsUnderALinker() {
        ChimneyWorld w = world(ChimneyWorld.options().capabilities(CAPS.withIp(true, true)));
        // a lone placeholder completes SUCCESS
        BlockList lone = BlockList.placeholder(StateLayer.NEIGHBOR);
        w.initiate(lone);
        assertEquals(OffloadStatus.SUCCESS, lone.status(), "R-TREE-3");
        ChimneyWorld.Offloaded first = w.offload(w.connect(false));
        // a linker for the offloaded neighbor with two new paths and connections under them
        ChimneyWorld.Offloaded a = w.prepareTcp(w.connect(false));
        ChimneyWorld.Offloaded b = w.prepareTcp(w.connect(true));
        BlockList linker = BlockList.reference(StateLayer.NEIGHBOR, first.neighbor, 0);
        BlockList pa = w.newPath(a.path, false).dependent(a.tcpNode);
        BlockList pb = w.newPath(b.path, true).dependent(b.tcpNode);
        linker.dependent(pa).dependent(pb);
        BlockList placeholderRoot = BlockList.placeholder(StateLayer.NEIGHBOR);
        w.initiate(linker);
        assertEquals(OffloadStatus.SUCCESS, linker.status(), "R-TREE-4: all dependents offloaded");
        assertInitiateStatuses(linker);
        // R-TREE-5: the new connections transmit with the linked neighbor's MAC
        long from = w.sim.nowNs();
        w.send(a, ChimneyWorld.pattern(4000, 5));
        w.send(b, ChimneyWorld.pattern(4000, 6));
        w.runUntil(() -> a.conn.peerEnd.received.size() == 4000 && b.conn.peerEnd.received.size() == 4000, 5 * S,
                "data of the linked connections");
        for (WireFrames.Parsed p : w.targetTcpSince(from)) {
            assertEquals(ChimneyWorld.MAC_B, p.dst(), "R-TREE-5: " + p);
        }
        // a linker whose new dependents partly fail: PARTIAL_SUCCESS; all fail: FAILURE
        ChimneyWorld.Offloaded c = w.prepareTcp(w.connect(false));
        BlockList tooBig = BlockList.newPath(new OffloadHandle("big"), new PathOffloadState.Const(
                ChimneyWorld.A4, ChimneyWorld.B4), new PathOffloadState.Cached(9001));
        BlockList ok = w.newPath(c.path, false).dependent(c.tcpNode);
        BlockList partial = BlockList.reference(StateLayer.NEIGHBOR, first.neighbor, 0).dependent(ok)
                .dependent(tooBig);
        w.initiate(partial);
        assertEquals(OffloadStatus.OFFLOAD_PARTIAL_SUCCESS, partial.status(), "R-TREE-4");
        assertEquals(OffloadStatus.OFFLOAD_PATH_MTU, tooBig.status(), "R-OFF-9");
        BlockList none = BlockList.reference(StateLayer.NEIGHBOR, first.neighbor, 0).dependent(BlockList.newPath(
                new OffloadHandle("big2"), new PathOffloadState.Const(ChimneyWorld.A4, ChimneyWorld.B4),
                new PathOffloadState.Cached(65000)));
        w.initiate(none);
        assertEquals(OffloadStatus.FAILURE, none.status(), "R-TREE-4: no dependent offloaded");
        // a placeholder root with a linker below it
        ChimneyWorld.Offloaded d = w.prepareTcp(w.connect(false));
        placeholderRoot.dependent(BlockList.reference(StateLayer.IPV4_PATH, a.path, 0).dependent(d.tcpNode));
        w.initiate(placeholderRoot);
        assertEquals(OffloadStatus.SUCCESS, placeholderRoot.status(), "R-TREE-3");
        assertEquals(OffloadStatus.SUCCESS, d.tcpNode.status());
        assertInitiateStatuses(placeholderRoot);
    }

    // spec §8: R-OFF-10
    @Test
    void rOff10_capacityPerLayerGivesItsOwnStatus() {
        OffloadCapabilities small = new OffloadCapabilities(true, true, false, true, 1, 1, 1, 16 << 20, 9000, true,
                true);
        ChimneyWorld w = world(ChimneyWorld.options().capabilities(small));
        ChimneyWorld.Offloaded first = w.offload(w.connect(false));
        ChimneyWorld.Offloaded second = w.prepare(w.connect(false), 1);
        w.initiate(second.root);
        assertEquals(OffloadStatus.OFFLOAD_NEIGHBOR_ENTRIES, second.root.status());
        // under the existing neighbor: the path table is full
        ChimneyWorld.Offloaded third = w.prepareTcp(w.connect(false));
        BlockList p = w.newPath(third.path, false).dependent(third.tcpNode);
        BlockList viaNeighbor = BlockList.reference(StateLayer.NEIGHBOR, first.neighbor, 0).dependent(p);
        w.initiate(viaNeighbor);
        assertEquals(OffloadStatus.OFFLOAD_PATH_ENTRIES, p.status());
        assertEquals(OffloadStatus.FAILURE, viaNeighbor.status(), "a linker with nothing offloaded below");
        // under the existing path: the TCP table is full
        BlockList viaPath = BlockList.reference(StateLayer.IPV4_PATH, first.path, 0);
        ChimneyWorld.Offloaded fourth = w.prepareTcp(w.connect(false));
        viaPath.dependent(fourth.tcpNode);
        w.initiate(viaPath);
        assertEquals(OffloadStatus.OFFLOAD_TCP_ENTRIES, fourth.tcpNode.status());
        assertInitiateStatuses(viaPath);
        w.send(first, ChimneyWorld.pattern(100, 1));
        w.runUntil(() -> first.conn.peerEnd.received.size() == 100, S, "the offloaded one still runs");
    }

    @Test
    void rOff8_rOff9_windowAndMtuBeyondTheTarget() {
        OffloadCapabilities caps = new OffloadCapabilities(true, true, false, true, 100, 100, 100, 32 * 1024, 1400,
                true, true);
        ChimneyWorld w = world(ChimneyWorld.options().capabilities(caps));
        ChimneyWorld.Offloaded big = w.prepare(w.connect(false), ChimneyWorld.spec());
        w.initiate(big.root);
        assertEquals(OffloadStatus.OFFLOAD_PATH_MTU, big.pathNode.status(), "R-OFF-9: 1500 > 1400");
        ChimneyWorld.Spec s = ChimneyWorld.spec();
        s.pathMtu = 1400;
        ChimneyWorld.Offloaded wnd = w.prepare(w.connect(false), s);
        w.initiate(wnd.root);
        assertEquals(OffloadStatus.OFFLOAD_TCP_RCV_WINDOW, wnd.tcpNode.status(), "R-OFF-8: 64 KiB > 32 KiB");
        assertEquals(OffloadStatus.OFFLOAD_PARTIAL_SUCCESS, wnd.pathNode.status());
        assertInitiateStatuses(wnd.root);
    }

    @Test
    void rOff7_rOff15_aFailedConnectionKeepsItsSendDataAndBufferedDataMustFit() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        c.hostEnd.reading = false;
        w.peerWrite(c, ChimneyWorld.pattern(3000, 2)); // unread by the host app: BufferedData
        w.run(20 * MS);
        // the host sends while the peer's data sits unread; export right away so the data is in flight
        w.hostLoop.execute(() -> w.hostWrite(c, ChimneyWorld.pattern(4000, 1)));
        w.run(MS / 10);
        ChimneyWorld.Spec s = ChimneyWorld.spec();
        s.cached = k -> k.withInitialRcvWnd(1000); // 3000 buffered bytes cannot fit a 1000-byte window
        ChimneyWorld.Offloaded o = w.prepare(c, s);
        assertTrue(o.snapshot.delegated().receivedDataLength() > 0 && o.chain != null);
        w.initiate(o.root);
        assertEquals(OffloadStatus.FAILURE, o.tcpNode.status(), "R-OFF-15: no room for the buffered data");
        for (SendRequest r = o.chain; r != null; r = r.next()) {
            assertNull(r.status(), "R-OFF-7: the chain's requests are untouched");
            assertEquals(0, r.bytesTransferred());
        }
        w.run(100 * MS);
        assertTrue(w.rec.sends.isEmpty(), "R-OFF-7: never completed");
        w.restore(o);
        c.hostEnd.reading = true;
        c.peerEnd.reading = true;
        w.hostLoop.execute(() -> c.hostEnd.readAll(c.hostConn));
        w.peerLoop.execute(() -> c.peerEnd.readAll(c.peerEnd.connection));
        w.runUntil(() -> c.peerEnd.received.size() == 4000 && c.hostEnd.received.size() == 3000, 10 * S,
                "the connection works on the host");
    }

    @Test
    void rOff15_rOff16_bufferedDataIsDeliveredBeforeNewerData() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        c.hostEnd.reading = false;
        byte[] old = ChimneyWorld.pattern(6000, 3);
        w.peerWrite(c, old);
        w.run(20 * MS);
        ChimneyWorld.Offloaded o = w.offload(c);
        assertEquals(6000, o.snapshot.delegated().receivedDataLength(), "handed over as BufferedData");
        byte[] fresh = ChimneyWorld.pattern(20_000, 4);
        w.peerWrite(c, fresh);
        w.runUntil(() -> w.delivered(o).length == 26_000, 5 * S, "both");
        assertArrayEquals(concat(old, fresh), w.delivered(o), "R-OFF-16: BufferedData first");
    }

    @Test
    void rOff12_rOff13_rOff14_overlappingInitiatesAndDataDuringTheOffload() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c1 = w.connect(false);
        ChimneyWorld.Conn c2 = w.connect(true);
        ChimneyWorld.Offloaded o1 = w.prepare(c1, 1);
        ChimneyWorld.Offloaded o2 = w.prepare(c2, 1);
        if (w.tut.faults() != null) {
            w.tut.faults().delayCompletions(30 * MS);
        }
        // data already on its way to both connections when they are offloaded
        w.peerWrite(c1, ChimneyWorld.pattern(3000, 1));
        w.peerWrite(c2, ChimneyWorld.pattern(3000, 2));
        w.call(() -> w.target.initiateOffload(o1.root));
        w.call(() -> w.target.initiateOffload(o2.root));
        w.runUntil(() -> w.rec.initiated.size() == 2, 5 * S, "both initiates (R-OFF-12)");
        w.runUntil(() -> w.delivered(o1).length == 3000 && w.delivered(o2).length == 3000, 5 * S, "the data");
        for (ChimneyWorld.Offloaded o : List.of(o1, o2)) {
            assertEquals(OffloadStatus.SUCCESS, o.tcpNode.status());
            int done = w.rec.indexOf("initiate", o.root);
            for (int i = 0; i < w.rec.log.size(); i++) {
                HostRecorder.Call call = w.rec.log.get(i);
                if ((call.kind().equals("indicate") && call.subject() == o.tcp) || call.kind().equals("receive")) {
                    assertTrue(i > done, "R-OFF-13: data for " + o.tcp + " only after its initiate completed");
                }
            }
        }
        // R-OFF-14: the data was acknowledged on the wire by the target
        w.runUntil(() -> c1.peerEnd.connection.sndNxt() == c1.peerEnd.connection.sndUna(), S, "the ACK");
    }

    @Test
    void rOff19_rOff21_unsentDataHandedOverGoesOutFirst() {
        // the peer's window closes: the host holds unsent data (SND.NXT = SND.MAX), offloads, the window opens
        ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.receiveBufferBytes(8192)));
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        byte[] data = ChimneyWorld.pattern(40_000, 5);
        w.hostLoop.execute(() -> w.hostWrite(c, data));
        w.run(300 * MS);
        ChimneyWorld.Offloaded o = w.offload(c);
        assertEquals(o.snapshot.delegated().sndNxt(), o.snapshot.delegated().sndMax());
        assertTrue(o.snapshot.delegated().sendDataLength() > 20_000, "unsent data handed over");
        byte[] later = ChimneyWorld.pattern(10_000, 6);
        w.send(o, later);
        c.peerEnd.reading = true;
        w.peerLoop.execute(() -> c.peerEnd.readAll(c.peerEnd.connection));
        w.runUntil(() -> c.peerEnd.received.size() == 50_000, 20 * S, "everything");
        assertArrayEquals(concat(data, later), c.peerEnd.received.toByteArray(), "R-OFF-19: chain first, in order");
        w.runUntil(() -> w.rec.sends.size() >= 1 + countChain(o.chain), 5 * S, "completions");
        assertAllChainCompleted(o, "R-OFF-21");
    }

    @Test
    void rOff17_rOff18_rOff20_retransmissionRangeThenNewDataAcrossRequestBoundaries() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        w.run(50 * MS);
        byte[] data = ChimneyWorld.pattern(3000, 7);
        int[] snd = new int[2];
        // export in the same turn as the write: the initial window is in flight, unacknowledged
        w.hostLoop.execute(() -> w.hostWrite(c, data));
        w.sim.step(w.sim.nowNs());
        ChimneyWorld.Spec s = ChimneyWorld.spec();
        s.chainSizes = new int[] {200, 400, 400, 400, 400, 200, 1000};
        s.delegated = d -> {
            snd[0] = d.sndUna();
            snd[1] = d.sndMax();
            // as after a retransmission timeout: SND.NXT back to SND.UNA + 1000 (SND.MAX where it was)
            return rewind(d, d.sndUna() + 1000, d.sndMax());
        };
        long from = w.sim.nowNs();
        ChimneyWorld.Offloaded o = w.offload(c, s);
        assertTrue(snd[1] - snd[0] > 1000, "more than 1000 bytes were in flight at the offload");
        w.runUntil(() -> c.peerEnd.received.size() == 3000, 10 * S, "the whole stream");
        assertArrayEquals(data, c.peerEnd.received.toByteArray(), "R-OFF-18: every byte, in order");
        List<WireFrames.Parsed> frames = w.targetTcpSince(from);
        WireFrames.Parsed firstData = frames.stream().filter(p -> p.payloadLength() > 0).findFirst().orElseThrow();
        assertEquals(snd[0] + 1000, firstData.seq(), "R-OFF-17/R-OFF-20: SndNxt located 1000 bytes into the chain");
        w.runUntil(() -> w.rec.sends.size() == 7, 5 * S, "every chain request completes (R-OFF-21)");
        assertAllChainCompleted(o, "R-OFF-21");
    }

    static dev.chimney.tcp.TcpDelegated rewind(dev.chimney.tcp.TcpDelegated d, int sndNxt, int sndMax) {
        return new dev.chimney.tcp.TcpDelegated(d.state(), d.rcvNxt(), d.rcvWnd(), d.sndUna(), sndNxt, sndMax,
                d.sndWnd(), d.maxSndWnd(), d.sndWl1(), d.cWnd(), d.ssThresh(), d.sRtt(), d.rttVar(), d.tsRecent(),
                d.tsRecentAge(), d.tsTime(), d.totalRt(), d.dupAckCount(), d.sndWndProbeCount(),
                d.keepAliveProbeCount(), d.keepAliveTimeoutDelta(), d.retransmitCount(), d.retransmitTimeoutDelta(),
                d.dWnd(), d.sendData(), d.receivedData(), d.outOfOrder());
    }

    static int countChain(SendRequest chain) {
        int n = 0;
        for (SendRequest r = chain; r != null; r = r.next()) {
            n++;
        }
        return n;
    }

    static void assertAllChainCompleted(ChimneyWorld.Offloaded o, String id) {
        for (SendRequest r = o.chain; r != null; ) {
            SendRequest next = r.next();
            assertEquals(OffloadStatus.SUCCESS, r.status(), id + ": " + r);
            r = next;
        }
    }

    @Test
    void rTree6_rTree8_misuseGetsAClearStatusAndLeavesTheTargetConsistent() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded o = w.offload(w.connect(false));
        // a second initiate of the same handle (its slot cleared as if the host forgot it was offloaded)
        ChimneyWorld.Conn c2 = w.connect(false);
        ChimneyWorld.Offloaded dup = w.prepareTcp(c2);
        Object ctx = o.tcp.miniportContext();
        BlockList again = BlockList.reference(StateLayer.IPV4_PATH, o.path, 0).dependent(BlockList.newTcp(o.tcp,
                dup.snapshot.constants(), dup.snapshot.cached(), ChimneyWorld.withoutSendData(
                        dup.snapshot.delegated()), null));
        o.tcp.miniportContext(null);
        w.initiate(again);
        assertEquals(OffloadStatus.FAILURE, ChimneyWorld.tcpNode(again).status(), "a second initiate of a handle");
        o.tcp.miniportContext(ctx);
        // data requests on an unknown context
        SendRequest bogus = SendRequest.of(new byte[5]);
        w.call(() -> w.target.tcpSend(new Object(), bogus));
        w.runUntil(() -> w.rec.sends.contains(bogus), S, "the refusal");
        assertEquals(OffloadStatus.FAILURE, bogus.status());
        // R-TREE-8: the context still works
        w.send(o, ChimneyWorld.pattern(1000, 1));
        w.runUntil(() -> o.conn.peerEnd.received.size() == 1000, S, "data");
        // after the terminate the context is dead: a send gets INVALID_STATE
        w.terminate(o);
        SendRequest late = SendRequest.of(new byte[5]);
        w.call(() -> w.target.tcpSend(ctx, late));
        w.runUntil(() -> w.rec.sends.contains(late), S, "the refusal");
        assertEquals(OffloadStatus.INVALID_STATE, late.status());
        // a tree with a missing parent: a new path with no neighbor above it
        ChimneyWorld.Offloaded orphan = w.prepareTcp(w.connect(false));
        BlockList path = w.newPath(orphan.path, false).dependent(orphan.tcpNode);
        w.initiate(path);
        assertEquals(OffloadStatus.FAILURE, path.status(), "a path needs a neighbor");
        assertEquals(OffloadStatus.FAILURE, orphan.tcpNode.status());
        assertInitiateStatuses(path);
        TcpConnection back = w.restore(orphan);
        assertEquals(TcpState.ESTABLISHED, back.state());
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
