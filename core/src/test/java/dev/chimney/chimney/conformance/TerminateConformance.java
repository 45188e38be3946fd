package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.NeighborOffloadState;
import dev.chimney.chimney.OffloadOperation;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.TcpEventType;
import dev.chimney.chimney.UploadReason;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.MacAddress;
import dev.chimney.wire.TcpFlags;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Spec §8.5: terminate offload. */
abstract class TerminateConformance extends InitiateConformance {
    static final MacAddress NOWHERE = MacAddress.parse("02:77:00:00:00:ee");

    static void assertTerminateStatuses(BlockList root) {
        for (BlockList b : root.nodes()) {
            assertNotNull(b.status(), "R-TREE-2: " + b);
            assertTrue(b.status().allowedFor(OffloadOperation.TERMINATE), "R-TERM-2: " + b.status());
        }
    }

    /** Points the neighbor at a MAC nobody has: everything the target sends is lost from now on. */
    static void blackhole(ChimneyWorld w, ChimneyWorld.Offloaded o) {
        w.update(BlockList.reference(StateLayer.NEIGHBOR, o.neighbor, BlockList.CACHED).neighborCached(
                new NeighborOffloadState.Cached(NOWHERE, 0)));
    }

    @Test
    void rTerm2_rTerm3_rState2_theReturnedDelegatedStateIsCurrentAndOnlyDelegated() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.send(o, ChimneyWorld.pattern(30_000, 1));
        w.peerWrite(c, ChimneyWorld.pattern(20_000, 2));
        w.runUntil(() -> c.peerEnd.received.size() == 30_000 && w.delivered(o).length == 20_000, 10 * S, "data");
        w.run(500 * MS);
        BlockList t = w.terminate(o);
        assertTerminateStatuses(t);
        BlockList tcp = ChimneyWorld.tcpNode(t);
        TcpDelegated d = tcp.tcpDelegated();
        assertEquals(w.peerSndNxt(c), d.rcvNxt(), "R-TERM-3: RcvNxt as it is now");
        assertEquals(w.peerRcvNxt(c), d.sndUna(), "R-TERM-3: SndUna as it is now");
        assertEquals(d.sndUna(), d.sndMax());
        assertEquals(TcpState.ESTABLISHED, d.state());
        assertEquals(0, d.sendDataLength(), "send data travels as the chain");
        assertTrue(d.outOfOrder().isEmpty());
        assertNull(tcp.tcpConst(), "R-STATE-2: const not written back");
        assertNull(tcp.tcpCached(), "R-STATE-2: cached not written back");
        assertNotNull(t.neighborDelegated(), "the neighbor's NRD comes back (spec §3.2.6)");
        assertTrue(d.tsTime() != 0 && d.sRtt() > 0, "timestamps and RTT carried: " + d);
    }

    @Test
    void rTerm4_rTerm10_rRecv11_outstandingRequestsAreCompletedOrReturnedInPostingOrder() {
        ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.receiveBufferBytes(8192)));
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        ChimneyWorld.Offloaded o = w.offload(c);
        byte[] all = ChimneyWorld.pattern(30_000, 3);
        SendRequest chain = w.send(o, Arrays.copyOfRange(all, 0, 5000), Arrays.copyOfRange(all, 5000, 17_000),
                Arrays.copyOfRange(all, 17_000, 30_000));
        List<SendRequest> posted = new ArrayList<>();
        for (SendRequest r = chain; r != null; r = r.next()) {
            posted.add(r);
        }
        ReceiveRequest partial = w.post(o, 1000, true);
        ReceiveRequest empty = w.post(o, 1000, true);
        w.peerWrite(c, ChimneyWorld.pattern(100, 4));
        w.run(2 * S);
        assertTrue(c.peerEnd.connection.readableBytes() > 0, "the peer holds data unread");
        BlockList t = w.terminate(o);
        assertTerminateStatuses(t);
        BlockList tcp = ChimneyWorld.tcpNode(t);
        int done = w.rec.indexOf("terminate", t);
        // R-TERM-4: every request completed before the terminate, or handed back in the chain — never both
        List<SendRequest> returned = new ArrayList<>();
        for (SendRequest r = tcp.sendChain(); r != null; r = r.next()) {
            returned.add(r);
        }
        assertTrue(!returned.isEmpty(), "unacknowledged data is handed back");
        for (SendRequest r : posted) {
            int completed = w.rec.indexOf("send", r);
            assertTrue(completed >= 0 ^ returned.contains(r), "completed xor returned: " + r);
            if (completed >= 0) {
                assertTrue(completed < done, "completed before the terminate");
                assertEquals(OffloadStatus.SUCCESS, r.status());
            }
        }
        // R-TERM-10: posting order, the first one's data start at SND.UNA
        assertEquals(posted.subList(posted.size() - returned.size(), posted.size()), returned);
        byte[] atPeer = c.peerEnd.received.toByteArray();
        int peerHas = atPeer.length + c.peerEnd.connection.readableBytes();
        byte[] rest = ChimneyWorld.chainBytes(tcp.sendChain());
        assertEquals(30_000 - peerHas, rest.length, "the chain starts at SND.UNA");
        assertArrayEquals(Arrays.copyOfRange(all, peerHas, 30_000), rest);
        assertEquals(w.peerRcvNxt(c), tcp.tcpDelegated().sndUna());
        // R-RECV-11: the partly filled receive completes with its data, the empty one UPLOAD_IN_PROGRESS
        assertEquals(OffloadStatus.SUCCESS, partial.status());
        assertEquals(100, partial.bytesTransferred());
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, empty.status());
        assertTrue(w.rec.indexOf("receive", empty) < done);
        // back on the host, the stream completes byte-exact
        w.uploadBack(o, t);
        c.peerEnd.reading = true;
        w.peerLoop.execute(() -> c.peerEnd.readAll(c.peerEnd.connection));
        w.runUntil(() -> c.peerEnd.received.size() == 30_000, 20 * S, "the rest from the host");
        assertArrayEquals(all, c.peerEnd.received.toByteArray());
    }

    @Test
    void rTerm6_aDelayedAckIsOnTheWireBeforeTheTerminateCompletes() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.run(300 * MS);
        w.peerWrite(c, ChimneyWorld.pattern(100, 5));
        w.run(10 * MS); // received, its ACK delayed (TcpDelayedAckTicks = 200)
        assertTrue(w.peerSndNxt(c) != c.peerEnd.connection.sndUna(), "not acknowledged yet");
        long before = w.sim.nowNs();
        BlockList t = w.terminate(o);
        long completedAt = w.rec.log.get(w.rec.indexOf("terminate", t)).timeNs();
        boolean acked = false;
        for (WireFrames.Parsed p : w.targetTcpSince(before)) {
            if (p.has(TcpFlags.ACK) && p.ack() == w.peerSndNxt(c) && p.timeNs() <= completedAt) {
                acked = true;
            }
        }
        assertTrue(acked, "R-TERM-6: the owed ACK went out before the completion");
    }

    // spec §8: R-TERM-8
    @Test
    void rTerm7_rTerm8_segmentsDuringAndAfterTheTerminateGoUpRawAndUnacknowledged() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        if (w.tut.faults() != null) {
            w.tut.faults().delayCompletions(20 * MS); // the terminate stays pending a while for the host
        }
        w.run(100 * MS);
        w.peerWrite(c, ChimneyWorld.pattern(3000, 6));
        long at = w.sim.nowNs();
        BlockList t = BlockList.reference(StateLayer.TCP, o.tcp, BlockList.DELEGATED);
        w.call(() -> w.target.terminateOffload(t));
        w.runUntil(() -> w.rec.terminated.contains(t), 5 * S, "terminate");
        w.run(100 * MS);
        int rcvNxt = t.tcpDelegated().rcvNxt();
        int passedUp = 0;
        for (byte[] f : w.hostPort.heldFor(c.hostConn.localPort(), c.hostConn.remotePort())) {
            WireFrames.Parsed p = WireFrames.parse(f, 0);
            passedUp += p.payloadLength();
        }
        int peerSent = c.peerEnd.connection.snapshot().delegated().sndMax() - rcvNxt;
        assertTrue(peerSent > 0);
        assertEquals(peerSent, passedUp, "R-TERM-7/8: what the peer sent went up raw");
        for (WireFrames.Parsed p : w.targetTcpSince(at)) {
            assertTrue(p.ack() == rcvNxt, "R-TERM-7: nothing beyond the returned RcvNxt acknowledged: " + p);
        }
        assertEquals(c.peerEnd.connection.sndUna(), rcvNxt, "the target processed and acknowledged none of it");
    }

    @Test
    void rTerm9_dataOnlySackedIsDroppedAtTheTerminate() {
        ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.timestamps(false)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.run(100 * MS);
        int rcvNxt = w.peerSndNxt(c);
        long at = w.sim.nowNs();
        // a segment beyond a hole: queued out of order and SACKed
        w.injectFromPeer(w.peerSegment(c, rcvNxt + 1000, w.peerRcvNxt(c), TcpFlags.ACK, 60_000, 0,
                ChimneyWorld.pattern(500, 7)));
        w.run(10 * MS);
        assertTrue(w.targetTcpSince(at).stream().anyMatch(p -> p.sackBlocks() > 0), "the target SACKed it");
        BlockList t = w.terminate(o);
        TcpDelegated d = ChimneyWorld.tcpNode(t).tcpDelegated();
        assertEquals(rcvNxt, d.rcvNxt());
        assertTrue(d.outOfOrder().isEmpty(), "R-TERM-9: not returned");
        assertEquals(0, d.receivedDataLength(), "R-TERM-9: not indicated");
        assertEquals(0, w.delivered(o).length);
    }

    @Test
    void rTerm12_undeliveredDataComesBackAsBufferedData() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.rec.indicationPolicy = (h, d) -> ReceiveIndication.Result.NONE;
        byte[] first = ChimneyWorld.pattern(5000, 8);
        w.peerWrite(c, first);
        w.run(500 * MS);
        assertEquals(0, w.delivered(o).length);
        BlockList t = w.terminate(o);
        TcpDelegated d = ChimneyWorld.tcpNode(t).tcpDelegated();
        assertArrayEquals(first, d.receivedData(), "R-TERM-12: returned in BufferedData");
        assertEquals(w.peerSndNxt(c), d.rcvNxt());
        w.uploadBack(o, t);
        byte[] second = ChimneyWorld.pattern(3000, 9);
        w.peerWrite(c, second);
        w.runUntil(() -> c.hostEnd.received.size() == 8000, 5 * S, "old then new on the host");
        assertArrayEquals(concat(first, second), c.hostEnd.received.toByteArray());
    }

    @Test
    void rTerm13_rTerm14_rDisc8_afterTheTargetAskedForTheUploadIoGetsUploadInProgress() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.tut.requestUpload().accept(o.context(), UploadReason.UPLOAD_REQUESTED);
        w.run(10 * MS);
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.UPLOAD_REQUESTED)), w.rec.eventsFor(o.tcp));
        SendRequest s = w.send(o, new byte[100]);
        ReceiveRequest r = w.post(o, 100, false);
        DisconnectRequest d = DisconnectRequest.graceful();
        w.call(() -> w.target.tcpDisconnect(o.context(), d));
        ForwardRequest f = new ForwardRequest(new byte[20]);
        w.call(() -> w.target.tcpForward(o.context(), f));
        w.run(10 * MS);
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, s.status(), "R-TERM-13");
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, r.status(), "R-TERM-14");
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, d.status(), "R-TERM-14, R-DISC-8");
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, f.status(), "R-TERM-14");
        BlockList t = w.terminate(o);
        assertEquals(OffloadStatus.SUCCESS, ChimneyWorld.tcpNode(t).status());
    }

    @Test
    void rTerm14_runningOutOfIndicationBuffersAsksForTheUpload() {
        ChimneyWorld w = world(ChimneyWorld.options().indicationBuffers(1));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.rec.returnIndicationsAtOnce = false; // the host keeps the one buffer
        w.peerWrite(c, ChimneyWorld.pattern(1000, 1));
        w.run(300 * MS);
        w.peerWrite(c, ChimneyWorld.pattern(1000, 2));
        w.run(300 * MS);
        assertEquals(1, w.rec.indications.size());
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.UPLOAD_REQUESTED)), w.rec.eventsFor(o.tcp),
                "R-TERM-14: out of resources after the offload");
        SendRequest s = w.send(o, new byte[10]);
        w.run(10 * MS);
        assertEquals(OffloadStatus.UPLOAD_IN_PROGRESS, s.status());
        BlockList t = w.terminate(o);
        assertArrayEquals(ChimneyWorld.pattern(1000, 2), ChimneyWorld.tcpNode(t).tcpDelegated().receivedData());
    }

    // spec §8: R-EVT-2
    @Test
    void rTerm15_rInv3_rEvt2_eachRetrieveNamesOneTcpConnection() {
        ChimneyWorld w = world();
        ChimneyWorld.Offloaded a = w.offload(w.connect(false));
        ChimneyWorld.Offloaded b = w.prepareTcp(w.connect(false));
        w.initiate(BlockList.reference(StateLayer.IPV4_PATH, a.path, 0).dependent(b.tcpNode));
        w.invalidate(BlockList.reference(StateLayer.NEIGHBOR, a.neighbor, 0));
        w.send(a, new byte[100]);
        w.send(b, new byte[100]);
        w.run(100 * MS);
        assertEquals(2, w.rec.events.size(), "one event per connection: " + w.rec.events);
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.INVALID_STATE)), w.rec.eventsFor(a.tcp), "R-INV-3");
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.INVALID_STATE)), w.rec.eventsFor(b.tcp));
        assertTrue(w.rec.eventsFor(a.neighbor).isEmpty() && w.rec.eventsFor(a.path).isEmpty(),
                "R-TERM-15: never about a path or neighbor");
    }

    @Test
    void rTerm16_anIgnoredOptionalRetrieveChangesNothing() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.tut.requestUpload().accept(o.context(), UploadReason.LOW_ACTIVITY);
        w.run(10 * MS);
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.LOW_ACTIVITY)), w.rec.eventsFor(o.tcp));
        SendRequest s = w.send(o, ChimneyWorld.pattern(50_000, 1));
        w.peerWrite(c, ChimneyWorld.pattern(50_000, 2));
        w.runUntil(() -> w.rec.sends.contains(s) && w.delivered(o).length == 50_000, 10 * S, "traffic");
        assertEquals(OffloadStatus.SUCCESS, s.status(), "R-TERM-16: data keeps flowing");
    }

    @Test
    void rTerm17_noDiscretionaryRetrieveInCloseWaitOrFinWait2() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.peerLoop.execute(() -> c.peerEnd.connection.shutdownOutput());
        w.run(100 * MS);
        assertEquals(TcpState.CLOSE_WAIT, ChimneyWorld.tcpNode(w.queryTcp(o)).tcpDelegated().state());
        w.tut.requestUpload().accept(o.context(), UploadReason.LOW_ACTIVITY);
        w.tut.requestUpload().accept(o.context(), UploadReason.SMALL_IO);
        w.run(10 * MS);
        assertTrue(w.rec.eventsFor(o.tcp).stream().noneMatch(e -> e.type() == TcpEventType.RETRIEVE),
                "R-TERM-17: " + w.rec.eventsFor(o.tcp));

        ChimneyWorld.Conn c2 = w.connect(false);
        ChimneyWorld.Offloaded o2 = w.offload(c2);
        DisconnectRequest fin = DisconnectRequest.graceful();
        w.call(() -> w.target.tcpDisconnect(o2.context(), fin));
        w.runUntil(() -> w.rec.disconnects.contains(fin), S, "FIN acknowledged");
        assertEquals(TcpState.FIN_WAIT_2, w.queryTcp(o2).tcpDelegated().state());
        w.tut.requestUpload().accept(o2.context(), UploadReason.HIGH_DROP_RATE);
        w.run(10 * MS);
        assertTrue(w.rec.eventsFor(o2.tcp).isEmpty(), "R-TERM-17 in FIN_WAIT_2");
    }

    @Test
    void rTerm18_rDisc9_terminateCompletesWhateverTheState() {
        ChimneyWorld w = world();
        // CLOSE_WAIT
        ChimneyWorld.Conn c1 = w.connect(false);
        ChimneyWorld.Offloaded o1 = w.offload(c1);
        w.peerLoop.execute(() -> c1.peerEnd.connection.shutdownOutput());
        // FIN_WAIT_2
        ChimneyWorld.Conn c2 = w.connect(false);
        ChimneyWorld.Offloaded o2 = w.offload(c2);
        w.call(() -> w.target.tcpDisconnect(o2.context(), DisconnectRequest.graceful()));
        // reset by the peer (CLOSED)
        ChimneyWorld.Conn c3 = w.connect(false);
        ChimneyWorld.Offloaded o3 = w.offload(c3);
        w.peerLoop.execute(() -> c3.peerEnd.connection.abort());
        // TIME_WAIT: both close, ours first
        ChimneyWorld.Conn c4 = w.connect(false);
        ChimneyWorld.Offloaded o4 = w.offload(c4);
        w.call(() -> w.target.tcpDisconnect(o4.context(), DisconnectRequest.graceful()));
        w.run(50 * MS);
        w.peerLoop.execute(() -> c4.peerEnd.connection.shutdownOutput());
        // LAST_ACK into CLOSED: the peer first, then ours
        ChimneyWorld.Conn c5 = w.connect(false);
        ChimneyWorld.Offloaded o5 = w.offload(c5);
        w.peerLoop.execute(() -> c5.peerEnd.connection.shutdownOutput());
        w.run(50 * MS);
        w.call(() -> w.target.tcpDisconnect(o5.context(), DisconnectRequest.graceful()));
        w.run(200 * MS);
        List<TcpState> expected = List.of(TcpState.CLOSE_WAIT, TcpState.FIN_WAIT_2, TcpState.CLOSED,
                TcpState.TIME_WAIT, TcpState.CLOSED);
        List<ChimneyWorld.Offloaded> all = List.of(o1, o2, o3, o4, o5);
        for (int i = 0; i < all.size(); i++) {
            ChimneyWorld.Offloaded o = all.get(i);
            BlockList q = w.queryTcp(o);
            assertEquals(OffloadStatus.SUCCESS, q.status(), "R-DISC-9: queryable");
            assertEquals(expected.get(i), q.tcpDelegated().state(), "connection " + i);
            BlockList t = w.terminate(o);
            assertTerminateStatuses(t);
            assertEquals(OffloadStatus.SUCCESS, ChimneyWorld.tcpNode(t).status(), "R-TERM-18 in " + expected.get(i));
        }
    }

    @Test
    void rTerm20_returnedTimerDeltasAreMinusOneWhenOffAndRunningOtherwise() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded idle = w.offload(c);
        w.run(300 * MS);
        TcpDelegated d = ChimneyWorld.tcpNode(w.terminate(idle)).tcpDelegated();
        assertEquals(-1, d.retransmitTimeoutDelta(), "nothing in flight");
        assertEquals(-1, d.keepAliveTimeoutDelta(), "keepalive off");

        ChimneyWorld.Conn c2 = w.connect(false);
        ChimneyWorld.Offloaded busy = w.offload(c2);
        w.updateTcp(busy, busy.snapshot.cached().withKeepAlive(true, 5, 60_000, 1000), 0);
        blackhole(w, busy);
        w.send(busy, new byte[1000]);
        w.run(100 * MS);
        TcpDelegated d2 = ChimneyWorld.tcpNode(w.terminate(busy)).tcpDelegated();
        assertTrue(d2.retransmitTimeoutDelta() > 0, "R-TERM-20: retransmission timer running: " + d2);
        assertTrue(d2.keepAliveTimeoutDelta() > 0 && d2.keepAliveTimeoutDelta() <= 60_000, "keepalive running: "
                + d2);
    }
}
