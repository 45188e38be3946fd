package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.FIN;
import static dev.chimney.tcp.TcpFlags.PSH;
import static dev.chimney.tcp.TcpFlags.RST;
import static dev.chimney.tcp.TcpFlags.SYN;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.ours;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Packet scripts for the chimney spec's §8 conformance ids that bind the TCP engine (host and offload target alike):
 * each test is named after the ids it checks and asserts exactly what the checklist row says. Ids about chimney
 * mechanics (indications, uploads, block lists) are not claimed here; where the spec says "indicate
 * Retrieve/TimeoutExpiration" the engine's part is closing with {@link CloseReason#TIMED_OUT} and sending no RST.
 */
class TcpConformanceTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;
    static final long S = 1000 * MS;

    final TcpHarness h = new TcpHarness(TcpHarness.plain().build());

    private static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    private static void assertNoRst(TcpHarness t) {
        for (TcpHarness.Sent s : t.sent) {
            assertFalse(s.segment().has(RST), "no RST may be sent: " + s.segment());
        }
    }

    /** Passive open with timestamps; the handshake's ACK arrives at {@code ackAtNs}. */
    private static TcpConnection timestamped(TcpHarness t, long ackAtNs) {
        t.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> t.accepted.add(l.accept()));
        t.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460).timestamp(1000, 0));
        t.advanceTo(0);
        TcpSegment synAck = t.sent.poll().segment();
        t.send(ackAtNs, peer(ACK, R, L).timestamp(1001, synAck.tsVal()));
        return t.accepted.getFirst();
    }

    /** {@code d} with other RTT estimator and timestamp clock values (the rest unchanged). */
    private static TcpDelegated with(TcpDelegated d, long sRtt8, long rttVar4, int tsTime) {
        return new TcpDelegated(d.state(), d.rcvNxt(), d.rcvWnd(), d.sndUna(), d.sndNxt(), d.sndMax(), d.sndWnd(),
                d.maxSndWnd(), d.sndWl1(), d.cWnd(), d.ssThresh(), sRtt8, rttVar4, d.tsRecent(), d.tsRecentAge(),
                tsTime, d.totalRt(), d.dupAckCount(), d.sndWndProbeCount(), d.keepAliveProbeCount(),
                d.keepAliveTimeoutDelta(), d.retransmitCount(), d.retransmitTimeoutDelta(), d.dWnd(), d.sendData(),
                d.receivedData(), d.outOfOrder());
    }

    private static TcpSnapshot with(TcpSnapshot s, TcpDelegated d) {
        return new TcpSnapshot(s.localAddress(), s.remoteAddress(), s.pathMtu(), s.constants(), s.cached(), d);
    }

    /** Moves {@code c} to a fresh stack whose clock reads {@code atNs}; returns the harness it now lives in. */
    private static TcpHarness move(TcpConnection c, TcpSnapshot snapshot, long atNs, TcpConnection[] moved) {
        c.detach();
        TcpHarness to = new TcpHarness(TcpHarness.plain().timestamps(true).build(), atNs);
        moved[0] = TcpConnection.importFrom(snapshot, to.stack, to.events);
        return to;
    }

    // ------------------------------------------------------------------------------------------- §6.11.1 blind

    @Test
    void rBlind3OneChallengeAckPerRstValidationPeriod() {
        // R-BLIND-3: an in-window, out-of-order RST gets one challenge ACK; further ones none until an acceptable
        // segment arrives
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(RST, R + 100, 0));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
        h.send(30 * MS, peer(RST, R + 200, 0));
        h.send(5000 * MS, peer(RST, R + 300, 0));
        h.expectNothing(5000 * MS);
        h.send(5010 * MS, peer(ACK, R, L)); // acceptable: the period ends
        h.send(5020 * MS, peer(RST, R + 400, 0));
        h.expect(5020 * MS, ours(ACK, L, R, 8192));
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(2, h.stack.counter(TcpCounter.CHALLENGE_ACKS));
        assertEquals(2, h.stack.counter(TcpCounter.CHALLENGE_ACKS_SUPPRESSED));
    }

    @Test
    void rBlind4EveryOutOfWindowSynGetsAnAck() {
        // R-BLIND-4: "no throttling is required; one ACK per such SYN is allowed" — not even the unacceptable-
        // segment ACK throttle applies to SYNs
        TcpConnection c = h.establishedPassive();
        for (int i = 0; i < 3; i++) {
            h.send((20 + i) * MS, peer(SYN, R + 100_000 + i, 0));
            h.expect((20 + i) * MS, ours(ACK, L, R, 8192));
        }
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(0, h.stack.counter(TcpCounter.CHALLENGE_ACKS));
    }

    @Test
    void rBlind6InWindowSynsGetAtMostOneChallengeAckPerThreeSeconds() {
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(SYN, R + 10, 0));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
        h.send(1020 * MS, peer(SYN, R + 11, 0));
        h.send(3019 * MS, peer(SYN, R + 12, 0));
        h.expectNothing(3019 * MS);
        h.send(3020 * MS, peer(SYN, R + 13, 0));
        h.expect(3020 * MS, ours(ACK, L, R, 8192));
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(2, h.stack.counter(TcpCounter.CHALLENGE_ACKS_SUPPRESSED));
    }

    @Test
    void rBlind7And8ChallengeAckArmsKeepaliveForFiveMinutesThenTenProbesOneSecondApart() {
        // R-BLIND-7: keepalive (disabled here) is started to expire 5 min after the challenge ACK; R-BLIND-8: then
        // probes every KaInterval up to KaProbeCount — both 0 here, so 10 probes 1 s apart — and CLOSED when none
        // is answered (TIMED_OUT, no RST)
        TcpConnection c = h.establishedPassive();
        c.updateCached(c.cached().withKeepAlive(false, 0, 7_200_000, 0), false, false);
        h.send(20 * MS, peer(RST, R + 100, 0));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
        h.expectNothing(300_019 * MS);
        for (int i = 0; i < 10; i++) {
            h.expect((300_020 + i * 1000) * MS, ours(ACK, L - 1, R, 8192));
        }
        h.advanceTo(310_019 * MS);
        assertEquals(TcpState.ESTABLISHED, c.state());
        h.advanceTo(310_020 * MS);
        assertEquals(List.of(CloseReason.TIMED_OUT), h.closed);
        assertNoRst(h);
    }

    @Test
    void rBlind7RunningKeepaliveIsShortenedToFiveMinutesAndUsesItsOwnInterval() {
        // R-BLIND-7 "shortened if it would expire later"; R-BLIND-8 with non-zero KaInterval/KaProbeCount (75 s, 2)
        TcpHarness t = new TcpHarness(TcpHarness.plain().keepAlive(true).keepAliveIntervalNs(75 * S)
                .keepAliveProbes(2).build());
        TcpConnection c = t.establishedPassive(); // normal keepalive due at 10 ms + 2 h
        t.send(20 * MS, peer(SYN, R + 10, 0)); // in-window SYN: challenge ACK
        t.expect(20 * MS, ours(ACK, L, R, 8192));
        t.expectNothing(300_019 * MS);
        t.expect(300_020 * MS, ours(ACK, L - 1, R, 8192));
        t.expect(375_020 * MS, ours(ACK, L - 1, R, 8192));
        t.advanceTo(450_020 * MS);
        assertEquals(TcpState.CLOSED, c.state());
    }

    @Test
    void rBlind9AnAcceptableSegmentEndsMitigation() {
        // R-BLIND-9: keepalive disabled → the mitigation timer is cancelled; enabled → normal keepalive resumes
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(RST, R + 100, 0));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
        h.send(1000 * MS, peer(ACK, R, L));
        h.expectNothing(3 * 3600 * S);
        assertEquals(TcpState.ESTABLISHED, c.state());

        TcpHarness t = new TcpHarness(TcpHarness.plain().keepAlive(true).build());
        TcpConnection k = t.establishedPassive();
        t.send(20 * MS, peer(RST, R + 100, 0));
        t.expect(20 * MS, ours(ACK, L, R, 8192));
        t.send(1000 * MS, peer(ACK, R, L));
        t.expectNothing((1000 + 7_200_000 - 1) * MS);
        t.expect((1000 + 7_200_000) * MS, ours(ACK, L - 1, R, 8192));
        assertEquals(TcpState.ESTABLISHED, k.state());
    }

    @Test
    void rBlind10MovedDuringMitigationCarriesProbeCountAndDeadline() {
        // R-BLIND-10: an export during mitigation reports the probes sent and the time to the next; the importer
        // carries on (the remaining 8 of 10 probes, then TIMED_OUT)
        TcpHarness a = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(a, 10 * MS);
        c.updateCached(c.cached().withKeepAlive(false, 0, 7_200_000, 0), false, false);
        a.send(20 * MS, peer(RST, R + 100, 0));
        a.advanceTo(301_520 * MS); // probes at 300 020 and 301 020 ms
        assertEquals(2, a.stack.counter(TcpCounter.KEEPALIVE_PROBES));
        TcpSnapshot s = c.export();
        assertEquals(2, s.delegated().keepAliveProbeCount());
        assertEquals(500, s.delegated().keepAliveTimeoutDelta());
        TcpConnection[] moved = new TcpConnection[1];
        TcpHarness b = move(c, s, 0, moved);
        b.advanceTo(8_499 * MS);
        assertEquals(8, b.stack.counter(TcpCounter.KEEPALIVE_PROBES), "probes at 500, 1500, ... 7500 ms");
        assertEquals(TcpState.ESTABLISHED, moved[0].state());
        b.advanceTo(8_500 * MS);
        assertEquals(List.of(CloseReason.TIMED_OUT), b.closed);
    }

    // ---------------------------------------------------------------------------------------------- §6 timers

    @Test
    void rTimer6PersistTimingFollowsTheSpecTable() {
        // R-TIMER-6 (spec §6.3, RTO = 1 s): persist at 1×RTO; probe retransmits at 1×, 2×, 4×RTO; a zero-window
        // ACK starts round 1 with persist at 2×RTO; that round's first probe is retransmitted at 1×RTO.
        // R-TIMER-7: a non-zero window ends persist and sending resumes at once.
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).window(0));
        h.advanceTo(30 * MS);
        byte[] data = bytes(100, 1);
        c.write(data);
        TcpSegment probe = ours(ACK, L, R, 8192).payload(slice(data, 0, 1));
        h.expectNothing(1029 * MS);
        h.expect(1030 * MS, probe); // step 2: persist = 1×RTO
        h.expectNothing(2029 * MS);
        h.expect(2030 * MS, probe); // step 3: retransmit = RTO << 0
        h.expectNothing(4029 * MS);
        h.expect(4030 * MS, probe); // step 4: retransmit = RTO << 1
        h.expectNothing(8029 * MS);
        h.expect(8030 * MS, probe); // RTO << 2
        h.send(8100 * MS, peer(ACK, R, L).window(0)); // step 5: answered, window still 0 → round 1
        h.expectNothing(10_099 * MS);
        h.expect(10_100 * MS, probe); // step 6: persist = RTO << 1
        h.expectNothing(11_099 * MS);
        h.expect(11_100 * MS, probe); // the round's first probe retransmitted at RTO << 0
        h.send(11_200 * MS, peer(ACK, R, L).window(8192));
        h.expect(11_200 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
    }

    @Test
    void rTimer8TooManyProbesInOneRoundTimeOutWithoutRst() {
        // R-TIMER-8: probes in one round exceeding TcpMaximumRetransmissions (3) → TIMED_OUT (no RST)
        TcpHarness t = new TcpHarness(TcpHarness.plain().maxRetransmissions(3).build());
        TcpConnection c = t.establishedPassive();
        t.send(20 * MS, peer(ACK, R, L).window(0));
        t.advanceTo(30 * MS);
        c.write(bytes(100, 1));
        t.advanceTo(16_029 * MS);
        assertEquals(4, t.stack.counter(TcpCounter.WINDOW_PROBES), "probes at 1030, 2030, 4030, 8030 ms");
        assertEquals(TcpState.ESTABLISHED, c.state());
        t.advanceTo(16_030 * MS);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.TIMED_OUT), t.closed);
        assertNoRst(t);
    }

    @Test
    void rTimer4RetransmissionLimitsCloseTimedOutAndNeverSendRst() {
        // R-TIMER-4: the count limit (MaxRT = 0) and a MaxRT time budget both end in TIMED_OUT, never in an RST
        TcpHarness count = new TcpHarness(TcpHarness.plain().maxRetransmissions(2).build());
        TcpConnection c1 = count.establishedPassive();
        c1.write(bytes(10, 1));
        count.advanceTo(100 * S);
        assertEquals(List.of(CloseReason.TIMED_OUT), count.closed);
        assertEquals(3, count.sent.size(), "the segment and 2 retransmissions: " + count.sent);
        assertNoRst(count);

        TcpConnection c2 = h.establishedPassive();
        c2.updateCached(c2.cached().withMaxRtTicks(2500), false, false);
        c2.write(bytes(10, 1));
        h.advanceTo(100 * S);
        assertEquals(List.of(CloseReason.TIMED_OUT), h.closed);
        assertNoRst(h);
    }

    @Test
    void rTimer5MaxRtAllOnesMeansNoRetransmissionLimit() {
        // R-TIMER-5: MaxRT = 0xFFFFFFFF (-1 here) → no limit, even with a count limit of 2 configured
        TcpHarness t = new TcpHarness(TcpHarness.plain().maxRetransmissions(2).build());
        TcpConnection c = t.establishedPassive();
        c.updateCached(c.cached().withMaxRtTicks(-1), false, false);
        c.write(bytes(10, 1));
        t.advanceTo(1000 * S);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertTrue(t.stack.counter(TcpCounter.RTO_EXPIRATIONS) >= 20, "kept retransmitting: " + c);
        assertNoRst(t);
    }

    @Test
    void rTimer1TimersAndTimestampsTickAtTicksPerSecond() {
        // R-TIMER-1: at 100 ticks/s the TSval advances one per 10 ms and cached keepalive ticks are 10 ms each
        TcpHarness t = new TcpHarness(TcpHarness.plain().ticksPerSecond(100).timestamps(true).build());
        TcpConnection c = timestamped(t, 10 * MS);
        c.updateCached(c.cached().withKeepAlive(true, 1, 50, 20), false, false); // 500 ms idle, 200 ms interval
        t.advanceTo(500 * MS);
        assertTrue(t.sent.isEmpty(), "no probe before 50 ticks of idleness: " + t.sent);
        t.advanceTo(510 * MS);
        TcpSegment probe = t.sent.poll().segment();
        assertEquals(L - 1, probe.seq(), "keepalive probe at 10 ms + 50 ticks");
        t.advanceTo(710 * MS);
        assertEquals(TcpState.CLOSED, c.state(), "one unanswered probe, 20 ticks later: timed out");
        assertEquals(10, tsValDelta(100), "100 ms = 10 ticks of the timestamp clock");
        assertEquals(100, tsValDelta(1000));
    }

    /** TSval difference between two segments {@code gapMs} apart on a 100 ticks/s stack. */
    private static int tsValDelta(long gapMs) {
        TcpHarness t = new TcpHarness(TcpHarness.plain().ticksPerSecond(100).timestamps(true).nagle(false).build());
        TcpConnection c = timestamped(t, 10 * MS);
        t.advanceTo(20 * MS);
        c.write(bytes(1, 1));
        int first = t.sent.poll().segment().tsVal();
        t.send((20 + gapMs / 2) * MS, peer(ACK, R, L + 1).timestamp(1002, first));
        t.sent.clear();
        t.advanceTo((20 + gapMs) * MS);
        c.write(bytes(1, 2));
        return t.sent.poll().segment().tsVal() - first;
    }

    @Test
    void rTimer3RetransmitTimerResumesFromTheExportedDelta() {
        // R-TIMER-3: the retransmit timer resumes from Retransmit.TimeoutDelta; -1 = not running
        TcpHarness a = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(a, 10 * MS);
        TcpDelegated idle = c.export().delegated();
        assertEquals(-1, idle.retransmitTimeoutDelta(), "nothing outstanding");
        a.advanceTo(20 * MS);
        byte[] data = bytes(10, 1);
        c.write(data);
        TcpSegment sent = a.sent.poll().segment();
        a.advanceTo(120 * MS);
        TcpSnapshot s = c.export();
        assertEquals(200 * MS, c.rtoNs(), "a 10 ms handshake RTT: the 200 ms floor");
        assertEquals(100, s.delegated().retransmitTimeoutDelta(), "RTO armed at 20 ms, exported at 120 ms");
        TcpConnection[] moved = new TcpConnection[1];
        TcpHarness b = move(c, s, 7000 * MS, moved);
        b.advanceTo(7099 * MS);
        assertTrue(b.sent.isEmpty(), b.sent.toString());
        b.advanceTo(7100 * MS);
        TcpSegment again = b.sent.poll().segment();
        assertEquals(sent.seq(), again.seq());
        assertEquals(10, again.payloadLength());
    }

    @Test
    void rTimer13FinWait2TimeResumesFromTheExportedDelta() {
        // R-TIMER-13 (and R-TIMER-12 across a move): the remaining FIN_WAIT_2 time travels in Retransmit.TimeoutDelta
        TcpHarness a = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(a, 10 * MS);
        a.advanceTo(20 * MS);
        c.shutdownOutput();
        TcpSegment fin = a.sent.poll().segment();
        a.send(30 * MS, peer(ACK, R, L + 1).timestamp(1002, fin.tsVal()));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        a.advanceTo(60_030 * MS);
        TcpSnapshot s = c.export();
        assertEquals(60_000, s.delegated().retransmitTimeoutDelta(), "120 s armed at 30 ms, 60 s left");
        TcpConnection[] moved = new TcpConnection[1];
        TcpHarness b = move(c, s, 0, moved);
        b.advanceTo(59_999 * MS);
        assertEquals(TcpState.FIN_WAIT_2, moved[0].state());
        b.advanceTo(60_000 * MS);
        assertEquals(TcpState.CLOSED, moved[0].state());
        assertEquals(List.of(CloseReason.TIMED_OUT), b.closed);
        assertNoRst(b);
    }

    @Test
    void rTimer11KeepaliveResumesFromTheExportedProbeCountAndDelta() {
        // R-TIMER-11: keepalive resumes from KeepAlive.ProbeCount and TimeoutDelta
        TcpHarness a = new TcpHarness(TcpHarness.plain().timestamps(true).keepAlive(true).keepAliveIdleNs(10 * S)
                .keepAliveIntervalNs(1 * S).keepAliveProbes(3).build());
        TcpConnection c = timestamped(a, 10 * MS);
        a.advanceTo(10_010 * MS);
        assertEquals(L - 1, a.sent.poll().segment().seq(), "first probe after 10 s idle");
        a.advanceTo(10_410 * MS);
        TcpSnapshot s = c.export();
        assertEquals(1, s.delegated().keepAliveProbeCount());
        assertEquals(600, s.delegated().keepAliveTimeoutDelta(), "next probe 1 s after the first");
        TcpConnection[] moved = new TcpConnection[1];
        TcpHarness b = move(c, s, 0, moved);
        b.advanceTo(599 * MS);
        assertTrue(b.sent.isEmpty());
        b.advanceTo(600 * MS);
        assertEquals(L - 1, b.sent.poll().segment().seq(), "second probe resumed on time");
        b.advanceTo(1600 * MS);
        assertEquals(1, b.sent.size(), "third and last probe");
        b.advanceTo(2600 * MS);
        assertEquals(List.of(CloseReason.TIMED_OUT), b.closed, "3 probes counted across the move, then timeout");
    }

    @Test
    void rTimer9PersistStateResumesAfterAMove() {
        // R-TIMER-9: SndWndProbeCount, Retransmit.Count and TimeoutDelta of persist are carried and resumed
        TcpHarness a = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(a, 10 * MS);
        a.send(20 * MS, peer(ACK, R, L).timestamp(1002, 0).window(0));
        a.advanceTo(30 * MS);
        c.write(bytes(100, 1));
        a.advanceTo(230 * MS); // RTO = 200 ms (a 10 ms handshake RTT, floored)
        assertEquals(1, a.sent.poll().segment().payloadLength(), "round 0, first probe");
        a.advanceTo(330 * MS);
        TcpSnapshot s = c.export();
        TcpDelegated d = s.delegated();
        assertEquals(0, d.sndWndProbeCount());
        assertEquals(1, d.retransmitCount());
        assertEquals(100, d.retransmitTimeoutDelta());
        TcpConnection[] moved = new TcpConnection[1];
        TcpHarness b = move(c, s, 0, moved);
        b.advanceTo(99 * MS);
        assertTrue(b.sent.isEmpty());
        b.advanceTo(100 * MS);
        assertEquals(1, b.sent.poll().segment().payloadLength(), "second probe on the exported deadline");
        b.advanceTo(499 * MS);
        assertTrue(b.sent.isEmpty(), "next at 2×RTO: the count continued from the export");
        b.advanceTo(500 * MS);
        assertEquals(1, b.sent.poll().segment().payloadLength());
    }

    // --------------------------------------------------------------------------- §2.7 / §6.10 RTT and timestamps

    @Test
    void rState4AndRfc3ImportedSrttAndRttvarAreScaledAndDriveTheRto() {
        // R-STATE-4: SRtt crosses as 8×SRTT and RttVar as 4×RTTVAR; R-RFC-3: the RTO (RFC 6298 §2.3) starts from
        // SRtt/8 and RttVar/4: 8×SRTT = 2400 ticks (300 ms), 4×RTTVAR = 400 ticks → RTO = 300 + 400 = 700 ms
        TcpHarness a = new TcpHarness(TcpHarness.plain().timestamps(true).build());
        TcpConnection c = timestamped(a, 10 * MS);
        TcpSnapshot s = c.export();
        TcpSnapshot scaled = with(s, with(s.delegated(), 2400, 400, s.delegated().tsTime()));
        TcpConnection[] moved = new TcpConnection[1];
        TcpHarness b = move(c, scaled, 0, moved);
        assertEquals(700 * MS, moved[0].rtoNs());
        assertEquals(2400, moved[0].export().delegated().sRtt(), "returned scaled as it came");
        assertEquals(400, moved[0].export().delegated().rttVar());
        b.advanceTo(10 * MS);
        moved[0].write(bytes(10, 1));
        b.sent.clear();
        b.advanceTo(709 * MS);
        assertTrue(b.sent.isEmpty());
        b.advanceTo(710 * MS);
        assertEquals(10, b.sent.poll().segment().payloadLength(), "retransmitted one RTO (700 ms) later");
    }

    /** The spec §6.10 worked examples: our host and NIC are two stacks whose clocks read the table's times in ms. */
    private final class Example {
        TcpHarness at;
        TcpConnection c;
        int peerTsVal = 5000;

        /** A connection whose timestamp clock reads {@code stackTime} at clock time {@code stackTime} (delta 0). */
        Example(int stackTime) {
            TcpHarness a = new TcpHarness(TcpHarness.plain().timestamps(true).build());
            TcpConnection first = timestamped(a, 10 * MS);
            TcpSnapshot s = first.export();
            // no RTT sample yet (8×SRTT = 0): the first MRTT sets SRTT exactly, so 8×SRTT = 40 proves MRTT = 5
            TcpConnection[] moved = new TcpConnection[1];
            at = move(first, with(s, with(s.delegated(), 0, 0, stackTime)), stackTime * MS, moved);
            c = moved[0];
        }

        int send(long timeMs) {
            at.advanceTo(timeMs * MS);
            c.write(bytes(10, (int) timeMs));
            return at.sent.poll().segment().tsVal();
        }

        void ack(long timeMs, int tsEchoed) {
            at.send(timeMs * MS, peer(ACK, R, c.sndNxt()).timestamp(peerTsVal++, tsEchoed));
            assertEquals(0, c.unacknowledgedBytes());
            assertEquals(40, c.export().delegated().sRtt(), "MRTT = 5 at " + timeMs);
        }

        /** Terminate/offload at {@code fromMs} and resume on a stack whose clock reads {@code toMs}. */
        int moveTo(long fromMs, long toMs) {
            at.advanceTo(fromMs * MS);
            TcpSnapshot s = c.export();
            TcpConnection[] moved = new TcpConnection[1];
            at = move(c, s, toMs * MS, moved);
            c = moved[0];
            return s.delegated().tsTime();
        }
    }

    @Test
    void rTs1To5WorkedExampleOneNoDrift() {
        // R-TS-1..R-TS-5, spec §6.10 example 1: NicDelta = −100, StackDelta 0, every MRTT = 5
        Example e = new Example(100);
        assertEquals(100, e.send(100), "row 1: TSval = 100 + 0");
        assertEquals(100, e.moveTo(100, 200), "row 2: TsTime = 100; row 3: the NIC (time 200) takes delta −100");
        e.ack(205, 100); // rows 4-5
        assertEquals(110, e.send(210), "row 6: TSval = 210 − 100");
        e.ack(215, 110); // rows 7-8
        assertEquals(150, e.send(250), "row 9: TSval = 250 − 100");
        assertEquals(150, e.moveTo(250, 150), "row 10: TsTime = 150; row 11: StackDelta = 0");
        e.ack(155, 150); // rows 12-13
    }

    @Test
    void rTs1To6WorkedExampleTwoDriftingHostClock() {
        // R-TS-1..R-TS-6, spec §6.10 example 2: StackDelta −50 after drift, NicDelta +30; TSvals on the wire
        // 100, 150, 200, 350 (monotonic) and every MRTT = 5
        Example e = new Example(100);
        assertEquals(100, e.send(100), "row 1");
        assertEquals(100, e.moveTo(100, 200), "row 2: TsTime = 100, NicDelta = −100");
        e.ack(205, 100); // row 3
        assertEquals(150, e.send(250), "row 4: TSval = 250 − 100");
        assertEquals(150, e.moveTo(250, 200), "row 4: TsTime = 150; row 5: the drifted host, StackDelta = −50");
        e.ack(205, 150); // row 6
        assertEquals(200, e.send(250), "row 7: TSval = 250 − 50");
        e.ack(255, 200); // row 8
        assertEquals(350, e.send(400), "row 9: TSval = 400 − 50");
        assertEquals(350, e.moveTo(400, 320), "row 9: TsTime = 350; row 10: NicDelta = 350 − 320 = +30");
        e.ack(325, 350); // row 11
    }

    // ----------------------------------------------------------------------------------------------- §2.6 cached

    @Test
    void rState1TrafficNeverChangesTheCachedVariables() {
        // R-STATE-1: only an update changes cached state — data both ways, an RTO, keepalive, a window probe and a
        // PMTU drop leave it exactly as set (a query, export, shows the same values)
        TcpHarness t = new TcpHarness(TcpHarness.plain().keepAlive(true).keepAliveIdleNs(5 * S).build());
        TcpConnection c = t.establishedPassive();
        TcpCached set = c.cached();
        c.write(bytes(3000, 1));
        t.send(20 * MS, peer(ACK, R, L + 1460).payload(bytes(100, 2)).window(0));
        t.advanceTo(3 * S);
        t.send(3 * S, peer(ACK, R + 100, L + 1460).window(8192));
        c.onPathMtuDecrease(1000);
        assertEquals(100, c.read(new byte[200], 0, 200));
        t.advanceTo(30 * S);
        assertTrue(t.stack.counter(TcpCounter.KEEPALIVE_PROBES) + t.stack.counter(TcpCounter.WINDOW_PROBES)
                + t.stack.counter(TcpCounter.RTO_EXPIRATIONS) > 0, "timers ran: " + c);
        assertTrue(set == c.cached(), "the same cached object");
        assertEquals(set, c.export().cached());
    }

    @Test
    void rState11LargerInitialRcvWndIsAdvertisedAtOnceAndUsable() {
        // R-STATE-11: TCP_FLAG_UPDATE_RCV_WND with a new InitialRcvWnd → the new window goes to the peer; the
        // buffer really grows, keeping unread and out-of-order bytes in place
        TcpConnection c = h.establishedPassive();
        byte[] a = bytes(3000, 1);
        byte[] b = bytes(1000, 2);
        byte[] gap = bytes(500, 3);
        h.send(20 * MS, peer(ACK, R, L).payload(slice(a, 0, 1460)));
        h.send(21 * MS, peer(ACK, R + 1460, L).payload(slice(a, 1460, 2920)));
        h.expect(21 * MS, ours(ACK, L, R + 2920, 8192 - 2920));
        h.send(22 * MS, peer(ACK, R + 2920, L).payload(slice(a, 2920, 3000)));
        byte[] first = new byte[1000];
        assertEquals(1000, c.read(first, 0, 1000)); // the ring's head moves
        h.send(23 * MS, peer(ACK, R + 3500, L).payload(b)); // out of order, a 500-byte hole before it
        h.expect(23 * MS, ours(ACK, L, R + 3000, 8192 - 3000));
        c.updateCached(c.cached().withInitialRcvWnd(40_000), false, false);
        h.expect(23 * MS, ours(ACK, L, R + 3000, 40_000 - 2000));
        h.send(24 * MS, peer(ACK, R + 3000, L).payload(gap));
        h.expect(24 * MS, ours(ACK, L, R + 4500, 40_000 - 3500));
        byte[] rest = new byte[3500];
        assertEquals(3500, c.read(rest, 0, 4000));
        byte[] expected = new byte[4500];
        System.arraycopy(a, 0, expected, 0, 3000);
        System.arraycopy(gap, 0, expected, 3000, 500);
        System.arraycopy(b, 0, expected, 3500, 1000);
        assertTrue(Arrays.equals(slice(expected, 0, 1000), first) && Arrays.equals(slice(expected, 1000, 4500),
                rest), "bytes intact across the buffer growth");
        // a window this large is used: 30 kB in flight are accepted
        h.send(30 * MS, peer(ACK, R + 4500, L).payload(bytes(30_000, 4)));
        h.expect(30 * MS, ours(ACK, L, R + 34_500, 10_000));
    }

    @Test
    void rState11WindowBeyondTwoToTheThirtyIsRefusedWithTheLimit() {
        TcpConnection c = h.establishedPassive();
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> c.updateCached(c.cached().withInitialRcvWnd((1 << 30) + 1), false, false));
        assertTrue(e.getMessage().contains("2^30"), e.getMessage());
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    // ------------------------------------------------------------------------------------------ §2.5 constants

    @Test
    void rState7TimestampOptionOnEverySegmentOrOnNone() {
        // R-STATE-7: with TIMESTAMP_ENABLED every segment sent has TSopt; without it none does
        for (boolean ts : new boolean[] {true, false}) {
            TcpHarness t = new TcpHarness(TcpHarness.plain().timestamps(ts).build());
            t.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> t.accepted.add(l.accept()));
            t.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460).timestamp(1000, 0));
            t.send(10 * MS, tsIf(ts, peer(ACK, R, L)));
            TcpConnection c = t.accepted.getFirst();
            c.write(bytes(3000, 1)); // data segments
            t.send(20 * MS, tsIf(ts, peer(ACK, R + 500, L).payload(bytes(10, 1)))); // out of order: duplicate ACK
            t.send(25 * MS, tsIf(ts, peer(ACK, R, L).payload(bytes(500, 2)))); // fills the hole
            t.advanceTo(100 * MS); // delayed ACKs
            assertEquals(510, c.read(new byte[1000], 0, 1000));
            t.send(130 * MS, tsIf(ts, peer(ACK | FIN, R + 510, L + 3000)));
            c.close(); // FIN
            t.advanceTo(10 * S); // retransmissions too
            assertTrue(t.sent.size() >= 6, t.sent.toString());
            for (TcpHarness.Sent s : t.sent) {
                assertEquals(ts, s.segment().hasTimestamp(), "timestamps=" + ts + ": " + s.segment());
            }
        }
    }

    private static TcpSegment tsIf(boolean ts, TcpSegment s) {
        return ts ? s.timestamp(2000, 0) : s;
    }
}
