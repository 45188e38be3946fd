package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.BlockList;
import dev.chimney.chimney.DisconnectRequest;
import dev.chimney.chimney.IpOffloadStats;
import dev.chimney.chimney.OffloadParameters;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.OffloadStatus;
import dev.chimney.chimney.SendRequest;
import dev.chimney.chimney.StateLayer;
import dev.chimney.chimney.TcpEvent;
import dev.chimney.chimney.TcpOffloadStats;
import dev.chimney.chimney.UploadReason;
import dev.chimney.link.Impairments;
import dev.chimney.tcp.TcpDelegated;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.TcpFlags;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Spec §8.11 (events, neighbor reachability, statistics), §8.12 (timers) and §8.13 (timestamps). */
abstract class TimersConformance extends StateOpsConformance {

    static OffloadParameters params(int ticksPerSecond, int maxRetransmissions, int delayedAckTicks, int nceStale) {
        OffloadParameters p = OffloadParameters.DEFAULTS;
        return new OffloadParameters(ticksPerSecond, p.tcpAckFrequency(), delayedAckTicks, maxRetransmissions,
                p.tcpDoubtReachabilityRetransmissions(), p.tcpSwsPreventionTicks(), p.tcpDuplicateAckThreshold(),
                p.tcpPushTicks(), nceStale);
    }

    static TcpDelegated withTimers(TcpDelegated d, long rtxDelta, int tsTime) {
        return new TcpDelegated(d.state(), d.rcvNxt(), d.rcvWnd(), d.sndUna(), d.sndNxt(), d.sndMax(), d.sndWnd(),
                d.maxSndWnd(), d.sndWl1(), d.cWnd(), d.ssThresh(), d.sRtt(), d.rttVar(), d.tsRecent(),
                d.tsRecentAge(), tsTime, d.totalRt(), d.dupAckCount(), d.sndWndProbeCount(), d.keepAliveProbeCount(),
                d.keepAliveTimeoutDelta(), d.retransmitCount(), rtxDelta, d.dWnd(), d.sendData(), d.receivedData(),
                d.outOfOrder());
    }

    // ================================================================================ §8.11 reachability

    @Test
    void rNrq1_rNrq2_rNrq3_rNrq4_rCap2_reachabilityQueriesOnlyWhenBothSidesAreStale() {
        ChimneyWorld w = world(ChimneyWorld.options().parameters(params(1000, 5, 200, 1000)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.send(o, ChimneyWorld.pattern(20_000, 1));
        w.runUntil(() -> c.peerEnd.received.size() == 20_000, S, "data");
        w.run(10 * MS);
        int nrd = w.queryNeighbor(o).neighborDelegated().nicReachabilityDelta();
        assertTrue(nrd >= 0 && nrd <= 15, "R-NRQ-1: forward progress just now: NRD " + nrd);
        assertTrue(w.rec.reachabilityQueries.isEmpty(), "fresh: no query");
        w.run(1500 * MS); // both stale now (NceStaleTicks = 1000)
        w.send(o, new byte[100]);
        w.runUntil(() -> !w.rec.reachabilityQueries.isEmpty(), S, "a query");
        BlockList q = w.rec.reachabilityQueries.getFirst();
        assertEquals(StateLayer.NEIGHBOR, q.layer(), "R-NRQ-3");
        assertEquals(BlockList.ALL, q.parts(), "R-NRQ-3: const, cached (HRD), delegated (NRD)");
        assertNull(q.dependents(), "R-NRQ-3: DependentBlockList NULL");
        assertEquals(OffloadStatus.SUCCESS, q.status(), "R-NRQ-3: status SUCCESS");
        assertTrue(q.neighborDelegated().nicReachabilityDelta() > 1000, "R-NRQ-2: NRD past NceStaleTicks");
        assertTrue(q.neighborCached().hostReachabilityDelta() > 1000, "R-NRQ-2: HRD past NceStaleTicks");
        // R-NRQ-4: the host's HRD 0 holds further queries off for NceStaleTicks, though nothing is acknowledged
        w.cut(false, true);
        long firstAt = w.sim.nowNs();
        w.send(o, new byte[100]);
        w.run(5 * S);
        List<Long> times = new ArrayList<>();
        for (HostRecorder.Call call : w.rec.log) {
            if (call.kind().equals("reachability")) {
                times.add(call.timeNs());
            }
        }
        assertTrue(times.size() >= 2, "queries continue while nothing is confirmed: " + times);
        for (int i = 1; i < times.size(); i++) {
            assertTrue(times.get(i) - times.get(i - 1) > 1000 * MS, "R-NRQ-4: at least NceStaleTicks apart");
        }
        assertTrue(times.getLast() >= firstAt);
    }

    @Test
    void rNrq5_theReachabilityTestSurvivesTheNicClockWrapping() {
        // the NIC's tick clock wraps past 2^32 two seconds into the run
        ChimneyWorld w = world(ChimneyWorld.options().parameters(params(1000, 5, 200, 1000))
                .nicClockOffsetTicks((1L << 32) - 2000));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        for (int i = 0; i < 6; i++) {
            w.send(o, new byte[100]);
            w.run(300 * MS); // acknowledged traffic every 300 ms: never stale, across the wrap
        }
        assertTrue(w.rec.reachabilityQueries.isEmpty(), "R-NRQ-5: no spurious query at the wrap");
        w.run(1500 * MS);
        w.send(o, new byte[100]);
        w.runUntil(() -> !w.rec.reachabilityQueries.isEmpty(), S, "R-NRQ-5: a query once really stale");
        int nrd = w.rec.reachabilityQueries.getFirst().neighborDelegated().nicReachabilityDelta();
        assertTrue(nrd > 1000 && nrd < 2000, "R-NRQ-5: modular arithmetic: NRD " + nrd);
    }

    @Test
    void rEvt1_sendBacklogChangesAreThrottledAndDoNotFollowTheQueue() {
        ChimneyWorld w = world(ChimneyWorld.options().sendBacklog(true).impairments(Impairments.NONE
                .withDelay(10 * MS, 0)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        org.junit.jupiter.api.Assumptions.assumeTrue(w.queryTcp(o).sendBacklogSize()
                != BlockList.BACKLOG_UNSUPPORTED, "the target offers SendBacklogSize");
        w.send(o, ChimneyWorld.pattern(200_000, 1)); // slow start: the congestion window grows every round trip
        w.run(5 * S);
        w.send(o, ChimneyWorld.pattern(200_000, 2));
        w.run(5 * S);
        List<Long> values = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < w.rec.events.size(); i++) {
            if (w.rec.events.get(i).type() == dev.chimney.chimney.TcpEventType.SEND_BACKLOG_CHANGE) {
                values.add(w.rec.events.get(i).sendBacklogBytes());
            }
        }
        for (HostRecorder.Call call : w.rec.log) {
            if (call.kind().equals("event") && ((TcpEvent) call.detail()).type()
                    == dev.chimney.chimney.TcpEventType.SEND_BACKLOG_CHANGE) {
                times.add(call.timeNs());
            }
        }
        assertTrue(values.size() >= 2, "the optimum changed as the window grew: " + values);
        for (int i = 1; i < values.size(); i++) {
            assertTrue(times.get(i) - times.get(i - 1) >= S, "R-EVT-1: not more often than once a second");
            assertTrue(Math.abs(values.get(i) - values.get(i - 1)) * 4 >= values.get(i - 1),
                    "R-EVT-1: only changes of 25 % or more: " + values);
        }
        // the value follows the windows (bandwidth × delay), not what is queued: with 200 kB queued it is the window
        w.send(o, ChimneyWorld.pattern(200_000, 3));
        BlockList q = w.queryTcp(o);
        TcpDelegated d = q.tcpDelegated();
        assertEquals(Math.min(d.cWnd(), d.sndWnd()), q.sendBacklogSize(), "R-EVT-1: min(cwnd, peer window)");
        assertTrue(q.sendBacklogSize() < 200_000, "R-EVT-1: not the bytes queued");
    }

    // ================================================================================ §8.11 statistics

    @Test
    void rStat1_rStat2_rStat4_rStat5_countersCountOnlyOffloadedTrafficPerFamily() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c4 = w.connect(false);
        ChimneyWorld.Conn c6 = w.connect(true);
        w.hostLoop.execute(() -> w.hostWrite(c6, ChimneyWorld.pattern(20_000, 1))); // not offloaded
        w.run(S);
        assertEquals(OffloadStatistics.ZERO, statistics(w), "R-STAT-1: nothing offloaded, nothing counted");
        ChimneyWorld.Offloaded o = w.offload(c4);
        long at = w.sim.nowNs();
        w.send(o, ChimneyWorld.pattern(30_000, 2));
        w.peerWrite(c4, ChimneyWorld.pattern(10_000, 3));
        w.runUntil(() -> c4.peerEnd.received.size() == 30_000 && w.delivered(o).length == 10_000, 5 * S, "data");
        w.run(500 * MS);
        OffloadStatistics s = statistics(w);
        List<WireFrames.Parsed> sent = w.targetTcpSince(at);
        assertEquals(sent.size(), s.ipv4().outRequests(), "OutRequests");
        assertEquals(sent.stream().mapToLong(WireFrames.Parsed::ipTotalLength).sum(), s.ipv4().outOctets(),
                "R-STAT-5: IP header and payload");
        assertTrue(s.ipv4().inReceives() > 0 && s.ipv4().inOctets() > s.ipv4().inReceives() * 40, "R-STAT-5");
        assertEquals(s.ipv4().inReceives(), s.ipv4().inDelivers());
        assertEquals(s.tcp4().inSegments(), s.ipv4().inReceives());
        assertEquals(IpOffloadStats.ZERO, s.ipv6(), "R-STAT-1: the IPv6 connection is not offloaded");
        assertEquals(TcpOffloadStats.ZERO, s.tcp6());
        assertEquals(1, s.tcp4().currentlyEstablished(), "R-STAT-4");
        assertEquals(0, s.tcp4().outResets());
        w.call(() -> w.target.resetStatistics(OffloadStatistics.Family.IPV4));
        OffloadStatistics r = statistics(w);
        assertEquals(IpOffloadStats.ZERO, r.ipv4(), "R-STAT-2: that family reset");
        assertEquals(s.tcp4().outSegments(), r.tcp4().outSegments(), "R-STAT-2: the others untouched");
        DisconnectRequest fin = DisconnectRequest.graceful();
        w.call(() -> w.target.tcpDisconnect(o.context(), fin));
        w.runUntil(() -> w.rec.disconnects.contains(fin), S, "FIN_WAIT_2");
        assertEquals(0, statistics(w).tcp4().currentlyEstablished(), "R-STAT-4: FIN_WAIT_2 is not established");
    }

    @Test
    void rStat3_retransmissionsAreCountedApartFromNewSegments() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.cut(true, false);
        w.send(o, new byte[1000]);
        w.run(50 * MS);
        TcpOffloadStats before = statistics(w).tcp4();
        w.run(3 * S);
        TcpOffloadStats after = statistics(w).tcp4();
        assertEquals(before.outSegments(), after.outSegments(), "R-STAT-3: a pure retransmission is no new segment");
        assertTrue(after.retransmittedSegments() >= 3, "R-STAT-3: " + after);
    }

    // spec §8: R-STAT-7
    @Test
    void rStat6_rStat7_corruptHeadersGoUpUncounted() {
        ChimneyWorld w = world(ChimneyWorld.options().plainTcp());
        ChimneyWorld.Conn c = w.connect(false);
        // no path offloaded yet: a corrupt TCP header goes up uncounted (R-STAT-6)
        byte[] bad = w.peerSegment(c, w.peerSndNxt(c), w.peerRcvNxt(c), TcpFlags.ACK, 1000, 0, new byte[10]);
        bad[bad.length - 20] ^= 0x5A; // payload byte: the TCP checksum fails
        int up = w.hostPort.passedUp.size();
        w.injectFromPeer(bad);
        w.run(MS);
        assertEquals(up + 1, w.hostPort.passedUp.size());
        ChimneyWorld.Offloaded o = w.offload(c);
        OffloadStatistics s0 = statistics(w);
        byte[] badTcp = w.peerSegment(c, w.peerSndNxt(c), w.peerRcvNxt(c), TcpFlags.ACK, 1000, 0, new byte[10]);
        badTcp[badTcp.length - 20] ^= 0x5A;
        byte[] badIp = w.peerSegment(c, w.peerSndNxt(c), w.peerRcvNxt(c), TcpFlags.ACK, 1000, 0, new byte[10]);
        badIp[14 + 10] ^= 0x5A; // the IPv4 header checksum fails
        int held = w.hostPort.heldFor(c.hostConn.localPort(), c.hostConn.remotePort()).size();
        w.injectFromPeer(badTcp);
        w.injectFromPeer(badIp);
        w.run(MS);
        assertEquals(held + 2, w.hostPort.heldFor(c.hostConn.localPort(), c.hostConn.remotePort()).size(),
                "both went up the non-offload path");
        OffloadStatistics s1 = statistics(w);
        assertEquals(s0, s1, "R-STAT-6/7: not counted (InErrors, InHeaderErrors, InReceives unchanged)");
        assertEquals(0, w.delivered(o).length);
    }

    // ======================================================================================== §8.12 timers

    @Test
    void rTimer1_rCap2_timersAndTimestampsRunAtTicksPerSecond() {
        ChimneyWorld w = world(ChimneyWorld.options().parameters(params(100, 5, 20, 3000))
                .tcp(b -> b.ticksPerSecond(100)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        long at = w.sim.nowNs();
        w.send(o, new byte[10]);
        w.run(500 * MS);
        w.send(o, new byte[10]);
        w.run(50 * MS);
        List<WireFrames.Parsed> data = w.targetTcpSince(at).stream().filter(p -> p.payloadLength() > 0).toList();
        assertEquals(2, data.size());
        assertEquals(50, data.get(1).tsVal() - data.get(0).tsVal(), "R-TIMER-1: 100 ticks per second");
    }

    @Test
    void rTimer3_rTimer4_rCap2_retransmissionResumesFromTheDeltaAndItsLimitIsARetrieveNeverAnRst() {
        ChimneyWorld w = world(ChimneyWorld.options().parameters(params(1000, 3, 200, 30_000)));
        ChimneyWorld.Conn c = w.connect(false);
        w.cut(true, false);
        w.hostLoop.execute(() -> w.hostWrite(c, ChimneyWorld.pattern(1000, 1)));
        w.run(MS);
        ChimneyWorld.Offloaded o = w.offload(c, ChimneyWorld.spec().delegated(d -> withTimers(d, 300,
                d.tsTime())));
        long at = w.sim.nowNs();
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), 60 * S, "the retrieve");
        List<WireFrames.Parsed> data = w.targetTcpSince(at).stream().filter(p -> p.payloadLength() > 0).toList();
        assertEquals(300 * MS, data.getFirst().timeNs() - at, "R-TIMER-3: the first retransmission at the delta");
        assertEquals(3, data.size(), "R-CAP-2: TcpMaximumRetransmissions = 3");
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.TIMEOUT_EXPIRATION)), w.rec.eventsFor(o.tcp),
                "R-TIMER-4");
        assertTrue(w.targetTcpSince(at).stream().noneMatch(p -> p.has(TcpFlags.RST)), "R-TIMER-4: no RST");
        TcpDelegated d = ChimneyWorld.tcpNode(w.terminate(o)).tcpDelegated();
        assertEquals(0, d.retransmitTimeoutDelta(), "R-TERM-20: due now: the host's timer fires at once");
        assertEquals(TcpState.ESTABLISHED, d.state());
    }

    @Test
    void rTimer5_maxRtAllOnesMeansNoLimit() {
        ChimneyWorld w = world(ChimneyWorld.options().parameters(params(1000, 2, 200, 1_000_000)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c, ChimneyWorld.spec().cached(k -> k.withMaxRtTicks(-1)));
        w.cut(true, false);
        w.send(o, new byte[100]);
        w.run(300 * S);
        assertTrue(w.rec.eventsFor(o.tcp).isEmpty(), "R-TIMER-5: still retransmitting");
        assertTrue(w.queryTcp(o).tcpDelegated().retransmitCount() > 2);
    }

    @Test
    void rTimer6_rTimer7_rTimer8_rTimer9_persistProbesRoundsAndTheirLimit() {
        // two full segments fill the peer's buffer: its window goes to zero (spec §6.3)
        ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.receiveBufferBytes(2 * 1448))
                .parameters(params(1000, 4, 200, 1_000_000)));
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        w.hostLoop.execute(() -> w.hostWrite(c, ChimneyWorld.pattern(20_000, 1)));
        w.run(150 * MS); // the window closed; the host is persisting
        ChimneyWorld.Offloaded o = w.offload(c);
        TcpDelegated handed = o.snapshot.delegated();
        assertEquals(0, handed.sndWnd());
        assertTrue(handed.retransmitTimeoutDelta() >= 0, "R-TIMER-9: the host's persist timer handed over");
        long at = w.sim.nowNs();
        w.run(3 * S);
        // answered probes: each zero-window ACK starts a round with twice the interval (spec §6.3 step 5)
        List<Long> probes = new ArrayList<>();
        for (WireFrames.Parsed p : w.targetTcpSince(at)) {
            if (p.payloadLength() == 1) {
                probes.add(p.timeNs());
            }
        }
        assertTrue(probes.size() >= 3, "probes: " + probes);
        assertEquals(handed.retransmitTimeoutDelta() * MS, probes.get(0) - at, "R-TIMER-9: resumed at the delta");
        long i1 = probes.get(2) - probes.get(1);
        long i0 = probes.get(1) - probes.get(0);
        // each interval is RTO << SndWndProbeCount plus the probe's round trip (0.2 ms here)
        assertTrue(Math.abs(i1 - 2 * i0) <= MS, "R-TIMER-6: persist = RTO << SndWndProbeCount: " + i0 + ", " + i1);
        TcpDelegated mid = w.queryTcp(o).tcpDelegated();
        assertTrue(mid.sndWndProbeCount() >= 2, "R-TIMER-9: the round count is state: " + mid);
        // unanswered probes within one round: 1×, 2×, 4× RTO, then Retrieve/TimeoutExpiration (R-TIMER-8)
        w.cut(false, true);
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), 300 * S, "the persist limit");
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.TIMEOUT_EXPIRATION)), w.rec.eventsFor(o.tcp),
                "R-TIMER-8");
        w.cut(false, false);
        BlockList t = w.terminate(o);
        TcpDelegated d = ChimneyWorld.tcpNode(t).tcpDelegated();
        assertTrue(d.sndWndProbeCount() >= mid.sndWndProbeCount() && d.retransmitCount() > 4, "R-TIMER-9: " + d);
        // R-TIMER-7: back on the host the window opens and everything arrives
        w.uploadBack(o, t);
        c.peerEnd.reading = true;
        w.peerLoop.execute(() -> c.peerEnd.readAll(c.peerEnd.connection));
        w.runUntil(() -> c.peerEnd.received.size() == 20_000, 30 * S, "all data");
    }

    @Test
    void rTimer7_aNonZeroWindowEndsPersistAndSendingResumes() {
        ChimneyWorld w = world(ChimneyWorld.options().tcp(b -> b.receiveBufferBytes(4096)));
        ChimneyWorld.Conn c = w.connect(false);
        c.peerEnd.reading = false;
        ChimneyWorld.Offloaded o = w.offload(c);
        w.send(o, ChimneyWorld.pattern(30_000, 1));
        w.run(2 * S);
        assertTrue(c.peerEnd.received.size() == 0 && c.peerEnd.connection.readableBytes() <= 4096);
        c.peerEnd.reading = true;
        w.peerLoop.execute(() -> c.peerEnd.readAll(c.peerEnd.connection));
        w.runUntil(() -> c.peerEnd.received.size() == 30_000, 30 * S, "R-TIMER-7: all data");
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray());
    }

    @Test
    void rTimer12_rTimer13_finWait2ExpiresIntoARetrieveAndClosed() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        DisconnectRequest fin = DisconnectRequest.graceful();
        w.call(() -> w.target.tcpDisconnect(o.context(), fin));
        w.runUntil(() -> w.rec.disconnects.contains(fin), S, "FIN_WAIT_2");
        long t0 = w.sim.nowNs();
        w.run(60 * S);
        TcpDelegated q = w.queryTcp(o).tcpDelegated();
        assertEquals(TcpState.FIN_WAIT_2, q.state());
        assertTrue(Math.abs(q.retransmitTimeoutDelta() - 60_000) <= 2, "R-TIMER-13: the time left: " + q);
        w.peerWrite(c, new byte[100]); // an acceptable segment restarts it (R-TIMER-12)
        w.run(10 * MS);
        long t1 = w.sim.nowNs();
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), 200 * S, "the FIN_WAIT_2 timeout");
        long at = w.rec.log.get(w.rec.indexOf("event", o.tcp)).timeNs();
        assertTrue(at - t1 >= 119 * S && at - t1 <= 121 * S, "R-TIMER-12: 120 s after the last segment: "
                + (at - t1) / MS + " ms");
        assertTrue(at - t0 > 120 * S);
        assertEquals(List.of(TcpEvent.retrieve(UploadReason.TIMEOUT_EXPIRATION)), w.rec.eventsFor(o.tcp));
        assertEquals(TcpState.CLOSED, w.queryTcp(o).tcpDelegated().state(), "R-TIMER-12: moved to CLOSED");
        assertEquals(TcpState.CLOSED, ChimneyWorld.tcpNode(w.terminate(o)).tcpDelegated().state());
    }

    @Test
    void rTimer13_theHostsFinWait2TimeIsTakenFromTheOffload() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        w.hostLoop.execute(() -> c.hostConn.shutdownOutput());
        w.run(10 * S);
        ChimneyWorld.Offloaded o = w.offload(c);
        long delta = o.snapshot.delegated().retransmitTimeoutDelta();
        assertEquals(TcpState.FIN_WAIT_2, o.snapshot.delegated().state());
        assertTrue(delta > 100_000 && delta <= 110_001, "about 110 s left: " + delta);
        long at = w.sim.nowNs();
        w.runUntil(() -> !w.rec.eventsFor(o.tcp).isEmpty(), 200 * S, "the timeout");
        long fired = w.rec.log.get(w.rec.indexOf("event", o.tcp)).timeNs() - at;
        assertEquals(delta * MS, fired, "R-TIMER-13: resumed from Retransmit.TimeoutDelta");
    }

    @Test
    void rTimer14_rCap2_anAckGoesOutWithinTcpDelayedAckTicks() {
        ChimneyWorld w = world(ChimneyWorld.options().parameters(params(1000, 5, 50, 30_000)));
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.run(300 * MS);
        long at = w.sim.nowNs();
        w.peerWrite(c, new byte[100]);
        w.runUntil(() -> w.delivered(o).length == 100, S, "the data");
        w.runUntil(() -> c.peerEnd.connection.sndUna() == c.peerEnd.connection.sndNxt(), S, "the ACK");
        WireFrames.Parsed ack = w.targetTcpSince(at).getFirst();
        long delay = ack.timeNs() - at;
        assertTrue(delay > 0 && delay <= (50 + 1) * MS, "R-TIMER-14: " + delay / MS + " ms");
        assertEquals(100, w.delivered(o).length);
    }

    @Test
    void rTimer17_timeWaitAsksForTheUpload() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.call(() -> w.target.tcpDisconnect(o.context(), DisconnectRequest.graceful()));
        w.run(50 * MS);
        w.peerLoop.execute(() -> c.peerEnd.connection.shutdownOutput());
        w.runUntil(() -> w.rec.eventsFor(o.tcp).contains(TcpEvent.retrieve(UploadReason.UPLOAD_REQUESTED)), S,
                "R-TIMER-17");
        assertEquals(TcpState.TIME_WAIT, w.queryTcp(o).tcpDelegated().state());
        assertTrue(w.rec.eventsFor(o.tcp).contains(TcpEvent.DISCONNECT));
    }

    // ==================================================================================== §8.13 timestamps

    @Test
    void rTs1_rTs2_rTs3_rTs4_rTs5_theWorkedExamplesThroughTheTarget() {
        // spec §6.10 with the host's clock at H when the NIC's reads 200 (example 1: H = 100), RTT 5 ticks
        for (int ahead : new int[] {0, 1000}) {
            ChimneyWorld w = world(ChimneyWorld.options().impairments(Impairments.NONE.withDelay(2_500_000, 0)));
            ChimneyWorld.Conn c = w.connect(false);
            w.run(200 * MS - w.sim.nowNs());
            int[] tsTime = new int[1];
            long[] srtt8 = new long[1];
            // example 2: a host clock ahead of the NIC's (a positive delta); timestamps still only increase
            ChimneyWorld.Offloaded o = w.offload(c, ChimneyWorld.spec().delegated(d -> {
                tsTime[0] = d.tsTime() + ahead;
                srtt8[0] = d.sRtt();
                return withTimers(d, d.retransmitTimeoutDelta(), tsTime[0]);
            }));
            int h = tsTime[0];
            w.run(10 * MS);
            long at = w.sim.nowNs(); // NIC 210
            SendRequest s = w.send(o, new byte[2 * 1448]); // two full segments: the peer ACKs at once
            w.runUntil(() -> w.rec.sends.contains(s), S, "the ACK");
            WireFrames.Parsed data = w.targetTcpSince(at).stream().filter(p -> p.payloadLength() > 0).findFirst()
                    .orElseThrow();
            assertEquals(210 * MS, data.timeNs());
            assertEquals(h + 10, data.tsVal(), "R-TS-1/R-TS-2: NicDelta = TsTime − 200, TSval = 210 + NicDelta");
            long expected = srtt8[0] - srtt8[0] / 8 + 5; // RFC 6298 with the sample MRTT = 5
            assertEquals(expected, w.queryTcp(o).tcpDelegated().sRtt(), "R-TS-3/R-TS-5: MRTT = 5 fed the RTO");
            w.run(250 * MS - w.sim.nowNs());
            TcpDelegated d = ChimneyWorld.tcpNode(w.terminate(o)).tcpDelegated();
            assertEquals(h + 50, d.tsTime(), "R-TS-4/R-TS-5: TsTime = 250 + NicDelta");
        }
    }

    @Test
    void rTs6_timestampsNeverDecreaseAcrossMovesBackAndForth() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        for (int i = 0; i < 4; i++) {
            w.hostLoop.execute(() -> w.hostWrite(c, ChimneyWorld.pattern(5000, 1)));
            w.run(100 * MS);
            ChimneyWorld.Offloaded o = w.offload(c);
            w.send(o, ChimneyWorld.pattern(5000, 2));
            w.run(100 * MS);
            BlockList t = w.terminate(o);
            w.uploadBack(o, t);
        }
        w.runUntil(() -> c.peerEnd.received.size() == 40_000, 5 * S, "everything");
        int last = Integer.MIN_VALUE;
        boolean first = true;
        for (ChimneyWorld.Frame f : w.link.sent) {
            WireFrames.Parsed p = f.parsed();
            if (p != null && p.tcp() && p.timestamps()) {
                assertTrue(first || p.tsVal() - last >= 0, "R-TS-6: " + p.tsVal() + " after " + last);
                last = p.tsVal();
                first = false;
            }
        }
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray());
    }

    @Test
    void rTs7_pawsDropsASegmentWithAnOldTimestamp() {
        ChimneyWorld w = world();
        ChimneyWorld.Conn c = w.connect(false);
        ChimneyWorld.Offloaded o = w.offload(c);
        w.peerWrite(c, new byte[10]);
        w.runUntil(() -> w.delivered(o).length == 10, S, "data");
        int tsRecent = w.queryTcp(o).tcpDelegated().tsRecent();
        dev.chimney.wire.TcpOptions old = new dev.chimney.wire.TcpOptions().timestamps(tsRecent - 1000, 0);
        long at = w.sim.nowNs();
        w.injectFromPeer(w.peerSegment(c, w.peerSndNxt(c), w.peerRcvNxt(c), TcpFlags.ACK | TcpFlags.PSH, 60_000,
                old, new byte[50]));
        w.run(50 * MS);
        assertEquals(10, w.delivered(o).length, "R-TS-7: dropped by PAWS");
        assertTrue(w.targetTcpSince(at).stream().anyMatch(p -> p.has(TcpFlags.ACK)), "and answered with an ACK");
    }
}
