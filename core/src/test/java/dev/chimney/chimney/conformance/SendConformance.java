package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.ForwardRequest;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.ReceiveIndication;
import dev.chimney.chimney.ReceiveRequest;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.TcpFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Spec §8.7 (send) and §8.9 (disconnect, peer close, forward). */
abstract class SendConformance extends TerminateConformance {

    static List<SendRequest> list(SendRequest chain) {
        List<SendRequest> out = new ArrayList<>();
        for (SendRequest r = chain; r != null; r = r.next()) {
            out.add(r);
        }
        return out;
    }

    static byte[][] pieces(int n, int size, int seed) {
        byte[][] p = new byte[n][];
        for (int i = 0; i < n; i++) {
            p[i] = ChimneyWorld.pattern(size + i * 17, seed + i);
        }
        return p;
    }

    OffloadStatistics statistics(ChimneyWorld w) {
        AtomicReference<OffloadStatistics> s = new AtomicReference<>();
        w.call(() -> w.target.queryStatistics(s::set));
        w.runUntil(() -> s.get() != null, S, "statistics");
        return s.get();
    }

    @Test
    void rSend1_rSend2_rSend3_rSend6_acceptedQueuedInOrderAndCompletedOnlyWhenAcknowledged() {
        ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.receiveBufferBytes(16 * 1024)));
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        ChimneyWorld.Offloaded o = w.offload(c);
        List<SendRequest> posted = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            posted.addAll(list(w.send(o, pieces(3, 3000, i * 3))));
        }
        w.run(2 * S);
        // the peer's window is full: whatever it has not acknowledged must not be completed (R-SEND-3)
        int acked = c.peerEnd.connection.readableBytes();
        long completedBytes = 0;
        for (SendRequest r : w.rec.sends) {
            assertEquals(OffloadStatus.SUCCESS, r.status());
            assertEquals(r.length(), r.bytesTransferred(), "R-SEND-6");
            completedBytes += r.length();
        }
        assertTrue(completedBytes <= acked, "completed " + completedBytes + " > acknowledged " + acked);
        assertTrue(acked - completedBytes < 4000, "and every fully acknowledged request completed");
        assertTrue(w.rec.sends.size() < posted.size(), "R-SEND-1: the rest waits queued");
        c.peerEnd.reading = true;
        w.peerLoop.execute(() -> c.peerEnd.readAll(c.peerEnd.connection));
        w.runUntil(() -> w.rec.sends.size() == posted.size(), 20 * S, "every completion");
        assertEquals(posted, w.rec.sends, "completed in posting order");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray(), "R-SEND-2: FIFO on the wire");
    }

    @Test
    void rSend4_rSend5_rDisc1_rDisc2_rDisc3_rFin3_abortiveDisconnectAbortsEveryOutstandingSend() {
        ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.receiveBufferBytes(10_000)));
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        ChimneyWorld.Offloaded o = w.offload(c);
        List<SendRequest> posted = list(w.send(o, pieces(4, 4000, 1)));
        w.run(S);
        DisconnectRequest abort = DisconnectRequest.abortive();
        long at = w.sim.nowNs();
        w.call(() -> w.target.tcpDisconnect(o.context(), abort));
        w.runUntil(() -> w.rec.disconnects.contains(abort), S, "the disconnect");
        assertEquals(OffloadStatus.SUCCESS, abort.status(), "R-DISC-1: the RST was sent");
        int disconnectIndex = w.rec.indexOf("disconnect", abort);
        int partial = 0;
        boolean failedSeen = false;
        for (SendRequest r : posted) {
            int i = w.rec.indexOf("send", r);
            assertTrue(i >= 0 && i < disconnectIndex, "R-DISC-1: completed before the disconnect: " + r);
            if (r.status() != OffloadStatus.SUCCESS) {
                assertEquals(OffloadStatus.REQUEST_ABORTED, r.status());
                failedSeen = true;
            } else {
                assertFalse(failedSeen, "R-SEND-4: no SUCCESS after a failed request");
            }
            if (r.bytesTransferred() > 0 && r.bytesTransferred() < r.length()) {
                partial++;
                assertNotEquals(OffloadStatus.SUCCESS, r.status(), "R-SEND-5: a partial one fails");
            }
        }
        assertTrue(failedSeen && partial <= 1, "R-SEND-5: at most one partially sent request");
        List<WireFrames.Parsed> after = w.targetTcpSince(at);
        assertEquals(1, after.stream().filter(p -> p.has(TcpFlags.RST)).count(), "R-DISC-2: one RST");
        assertTrue(after.stream().noneMatch(p -> p.payloadLength() > 0), "R-SEND-4: no more data sent");
        // R-DISC-3: nothing received afterwards is acknowledged (it goes up raw: the connection is CLOSED)
        int framesBefore = w.targetFrames().size();
        int upBefore = w.hostPort.heldFor(c.hostConn.localPort(), c.hostConn.remotePort()).size();
        w.injectFromPeer(w.peerSegment(c, w.peerSndNxt(c), w.peerRcvNxt(c), TcpFlags.ACK | TcpFlags.PSH, 1000, 0,
                new byte[50]));
        w.run(300 * MS);
        assertEquals(framesBefore, w.targetFrames().size(), "R-DISC-3: no ACK");
        assertTrue(w.hostPort.heldFor(c.hostConn.localPort(), c.hostConn.remotePort()).size() > upBefore,
                "R-FIN-3: data for a CLOSED connection goes up");
        assertEquals(1, statistics(w).tcp4().outResets(), "R-DISC-2 / R-STAT-4: OutResets counts it");
        BlockList q = w.queryTcp(o);
        assertEquals(TcpState.CLOSED, q.tcpDelegated().state(), "R-DISC-9: still queryable");
    }

    @Test
    void rSend7_rSend8_rSend9_rSend10_rState6_rState13_segmentsAndPacketsTheTargetBuilds() {
        for (boolean v6 : new boolean[] {false, true}) {
            ChimneyWorld w = world();
            ChimneyWorld.Conn c = w.connect(v6);
            ChimneyWorld.Spec s = ChimneyWorld.spec();
            s.pathMtu = 1200;
            ChimneyWorld.Offloaded o = w.offload(c, s);
            long at = w.sim.nowNs();
            SendRequest r1 = w.send(o, ChimneyWorld.pattern(10_000, 1));
            w.runUntil(() -> w.rec.sends.contains(r1), 5 * S, "first request");
            SendRequest r2 = w.send(o, ChimneyWorld.pattern(7000, 2));
            w.runUntil(() -> w.rec.sends.contains(r2), 5 * S, "second request");
            List<WireFrames.Parsed> frames = w.targetTcpSince(at);
            int mss = Math.min(o.snapshot.constants().remoteMss(), 1200 - (v6 ? 40 : 20) - 20) - 12;
            int offset = 0;
            for (WireFrames.Parsed p : frames) {
                assertEquals(ChimneyWorld.MAC_A, p.src(), "R-STATE-6: the interface MAC");
                assertFalse(p.fragment(), "R-SEND-9");
                assertTrue(p.payloadLength() <= mss, "R-STATE-13: " + p.payloadLength() + " > " + mss);
                if (!v6) {
                    assertTrue(p.df(), "R-SEND-8: DF on every IPv4 datagram");
                    assertTrue(p.ipId() >= 0x8000 && p.ipId() <= 0xFFFF, "R-SEND-10: " + p.ipId());
                }
                if (p.payloadLength() > 0) {
                    offset += p.payloadLength();
                    boolean last = offset == 10_000 || offset == 17_000;
                    if (last) {
                        assertTrue(p.has(TcpFlags.PSH), "R-SEND-7: PSH on the last segment of a request");
                    }
                }
            }
            assertEquals(17_000, offset, "no retransmissions on a clean wire");
        }
    }

    @Test
    void rSend11_nagleExactlyWhenTheFlagIsSet() {
        int[] segmentsInFirstRtt = new int[2];
        for (int nagle = 0; nagle < 2; nagle++) {
            ChimneyWorld w = world(ChimneyWorld.options().impairments(
                    dev.chimney.link.Impairments.NONE.withDelay(20 * MS, 0)));
            ChimneyWorld.Conn c = w.connect(false);
            boolean on = nagle == 1;
            ChimneyWorld.Offloaded o = w.offload(c, ChimneyWorld.spec().cached(k -> k.withNagling(on)));
            long at = w.sim.nowNs();
            for (int i = 0; i < 10; i++) {
                w.send(o, new byte[100]);
            }
            w.run(30 * MS); // less than the 40 ms round trip
            segmentsInFirstRtt[nagle] = (int) w.targetTcpSince(at).stream().filter(p -> p.payloadLength() > 0)
                    .count();
            w.runUntil(() -> c.peerEnd.received.size() == 1000, 5 * S, "all data");
        }
        assertEquals(10, segmentsInFirstRtt[0], "without Nagle every small request goes at once");
        assertEquals(1, segmentsInFirstRtt[1], "R-SEND-11: with Nagle one small segment per round trip");
    }

    @Test
    void rSend12_slowStartFromTheOffloadedCongestionWindow() {
        int[] burst = new int[2];
        long[] cwnd = {2 * 1448, 20 * 1448};
        for (int i = 0; i < 2; i++) {
            ChimneyWorld w = world(ChimneyWorld.options().impairments(
                    dev.chimney.link.Impairments.NONE.withDelay(20 * MS, 0)));
            ChimneyWorld.Conn c = w.connect(false);
            long window = cwnd[i];
            ChimneyWorld.Offloaded o = w.offload(c, ChimneyWorld.spec().delegated(d -> new dev.chimney.tcp
                    .TcpDelegated(d.state(), d.rcvNxt(), d.rcvWnd(), d.sndUna(), d.sndNxt(), d.sndMax(), d.sndWnd(),
                    d.maxSndWnd(), d.sndWl1(), window, window, d.sRtt(), d.rttVar(), d.tsRecent(), d.tsRecentAge(),
                    d.tsTime(), d.totalRt(), d.dupAckCount(), d.sndWndProbeCount(), d.keepAliveProbeCount(),
                    d.keepAliveTimeoutDelta(), d.retransmitCount(), d.retransmitTimeoutDelta(), d.dWnd(),
                    d.sendData(), d.receivedData(), d.outOfOrder())));
            long at = w.sim.nowNs();
            w.send(o, ChimneyWorld.pattern(100_000, 1));
            w.run(30 * MS);
            burst[i] = w.targetTcpSince(at).stream().mapToInt(WireFrames.Parsed::payloadLength).sum();
            w.runUntil(() -> c.peerEnd.received.size() == 100_000, 10 * S, "the transfer");
        }
        assertTrue(burst[0] <= 2 * 1448, "R-SEND-12: the first flight is the offloaded CWnd: " + burst[0]);
        assertTrue(burst[1] > 10 * 1448 && burst[1] <= 20 * 1448, "and a larger CWnd lets more out: " + burst[1]);
    }

    @Test
    void rSend12_rRfc2_lossyTransferStaysByteExact() {
        ChimneyWorld w = world(ChimneyWorld.options().seed(42).impairments(dev.chimney.link.Impairments.NONE
                .withDelay(MS, 0).withLoss(0.02).withReordering(0.02, 3 * MS)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        byte[] down = ChimneyWorld.pattern(200_000, 2);
        w.send(o, ChimneyWorld.pattern(300_000, 1));
        w.peerWrite(c, down);
        w.runUntil(() -> c.peerEnd.received.size() == 300_000 && w.delivered(o).length == 200_000, 60 * S,
                "both streams under loss");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray());
        assertArrayEquals(down, w.delivered(o), "R-RFC-2: out-of-order data queued and delivered in order");
        assertTrue(statistics(w).tcp4().retransmittedSegments() > 0, "losses were repaired by the target");
    }

    // ================================================================================== disconnect (§4.5-§4.7)

    @Test
    void rDisc4_rDisc5_rDisc6_rDisc7_gracefulDisconnectWithDataThenKeepReceiving() {
        ChimneyWorld w = world(ChimneyWorld.options().impairments(
                dev.chimney.link.Impairments.NONE.withDelay(5 * MS, 0)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        List<SendRequest> posted = list(w.send(o, pieces(3, 5000, 1)));
        byte[] tail = ChimneyWorld.pattern(700, 9);
        DisconnectRequest fin = DisconnectRequest.graceful(tail);
        c.hostSent.writeBytes(tail);
        long at = w.sim.nowNs();
        w.call(() -> w.target.tcpDisconnect(o.context(), fin));
        w.runUntil(() -> w.rec.disconnects.contains(fin), 5 * S, "the disconnect");
        assertEquals(OffloadStatus.SUCCESS, fin.status(), "R-DISC-6: FIN and data acknowledged");
        assertEquals(700, fin.bytesTransferred(), "R-DISC-6");
        int d = w.rec.indexOf("disconnect", fin);
        int last = -1;
        for (SendRequest r : posted) {
            int i = w.rec.indexOf("send", r);
            assertTrue(i > last && i < d, "R-DISC-5: every send completed, in order, before the disconnect");
            last = i;
        }
        List<WireFrames.Parsed> frames = w.targetTcpSince(at);
        WireFrames.Parsed finFrame = frames.stream().filter(p -> p.has(TcpFlags.FIN)).findFirst().orElseThrow();
        WireFrames.Parsed lastData = frames.stream().filter(p -> p.payloadLength() > 0)
                .reduce((a, b) -> b.seq() > a.seq() ? b : a).orElseThrow();
        assertTrue(finFrame.timeNs() < lastData.timeNs() + 10 * MS,
                "R-DISC-4: the FIN did not wait a round trip for the data's ACK");
        assertEquals(lastData.seq() + lastData.payloadLength(), finFrame.seq() + finFrame.payloadLength(),
                "R-DISC-4: the FIN follows the last data byte");
        assertTrue(frames.stream().noneMatch(p -> p.has(TcpFlags.RST)), "R-DISC-2: no RST on a graceful close");
        w.runUntil(() -> c.peerEnd.eof, S, "EOF at the peer");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray());
        // R-DISC-7: the receive half stays open until the peer's FIN
        byte[] more = ChimneyWorld.pattern(20_000, 3);
        w.peerWrite(c, more);
        w.runUntil(() -> w.delivered(o).length == 20_000, 5 * S, "data after our FIN");
        assertArrayEquals(more, w.delivered(o));
        w.peerLoop.execute(() -> c.peerEnd.connection.shutdownOutput());
        w.runUntil(() -> w.rec.eventsFor(o.tcp).contains(TcpEvent.DISCONNECT), S, "the peer's FIN");
    }

    @Test
    void rFin1_rRecv9_disconnectIndicatedOnlyWhenEveryByteBeforeTheFinWasConsumed() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.rec.indicationPolicy = (h, d) -> ReceiveIndication.Result.NONE;
        byte[] data = ChimneyWorld.pattern(3000, 4);
        w.peerWrite(c, data);
        w.peerLoop.execute(() -> c.peerEnd.connection.shutdownOutput());
        w.run(300 * MS);
        assertEquals(TcpState.CLOSE_WAIT, w.queryTcp(o).tcpDelegated().state(), "the FIN arrived");
        assertTrue(w.rec.eventsFor(o.tcp).isEmpty(), "R-FIN-1: not before the data was consumed");
        ReceiveRequest r1 = w.post(o, 2000, true);
        w.run(10 * MS);
        assertTrue(w.rec.eventsFor(o.tcp).isEmpty(), "R-FIN-1: 1000 bytes still undelivered");
        ReceiveRequest r2 = w.post(o, 5000, true);
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), S, "the disconnect indication");
        assertEquals(List.of(TcpEvent.DISCONNECT), w.rec.eventsFor(o.tcp));
        assertTrue(w.rec.indexOf("receive", r2) < w.rec.indexOf("event", o.tcp), "after the data");
        assertArrayEquals(data, w.delivered(o));
        assertEquals(OffloadStatus.SUCCESS, r1.status());
        ReceiveRequest late = w.post(o, 100, false);
        w.runUntil(() -> w.rec.receives.contains(late), S, "the late post");
        assertEquals(OffloadStatus.INVALID_STATE, late.status(), "R-RECV-9");
    }

    @Test
    void rFin2_rBlind2_anAcceptableRstAbortsEveryOutstandingRequest() {
        ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.receiveBufferBytes(8192)));
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        ChimneyWorld.Offloaded o = w.offload(c);
        List<SendRequest> sends = list(w.send(o, pieces(3, 6000, 2)));
        ReceiveRequest r = w.post(o, 1000, true);
        DisconnectRequest fin = DisconnectRequest.graceful();
        w.call(() -> w.target.tcpDisconnect(o.context(), fin));
        w.run(S);
        w.peerLoop.execute(() -> c.peerEnd.connection.abort());
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), S, "the abort");
        w.run(10 * MS);
        assertEquals(List.of(TcpEvent.ABORT), w.rec.eventsFor(o.tcp), "R-FIN-2 / R-BLIND-2");
        for (SendRequest s : sends) {
            assertTrue(s.status() == OffloadStatus.REQUEST_ABORTED || s.status() == OffloadStatus.SUCCESS, "" + s);
        }
        assertEquals(OffloadStatus.REQUEST_ABORTED, sends.getLast().status());
        assertEquals(OffloadStatus.REQUEST_ABORTED, r.status(), "R-RECV-11 after an RST");
        assertEquals(OffloadStatus.REQUEST_ABORTED, fin.status());
        BlockList t = w.terminate(o);
        assertEquals(OffloadStatus.SUCCESS, ChimneyWorld.tcpNode(t).status());
        assertNull(ChimneyWorld.tcpNode(t).sendChain(), "aborted sends are not handed back too");
    }

    @Test
    void rFwd1_rFwd2_aForwardedSegmentIsProcessedAsIfItHadArrived() {
        ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        byte[] data = ChimneyWorld.pattern(800, 5);
        byte[] tcp = WireFrames.tcp(ChimneyWorld.B4, ChimneyWorld.A4, ChimneyWorld.PORT, c.hostConn.localPort(),
                w.peerSndNxt(c), w.peerRcvNxt(c), TcpFlags.ACK | TcpFlags.PSH, 60_000, 0, null, data);
        ForwardRequest f = new ForwardRequest(tcp);
        w.call(() -> w.target.tcpForward(o.context(), f));
        w.runUntil(() -> w.rec.forwards.contains(f), S, "the forward completion");
        assertEquals(OffloadStatus.SUCCESS, f.status(), "R-FWD-2");
        w.runUntil(() -> w.delivered(o).length == 800, S, "the forwarded data");
        assertArrayEquals(data, w.delivered(o), "R-FWD-1: delivered through the chimney");
    }
}
