package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Timers (persist, keepalive, Nagle/SWS), loss recovery (RFC 5681, RFC 6582), ICMP hooks, listener limits. */
class TcpTimersAndRecoveryTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    @Test
    void zeroWindowProbesBackOffPerRoundAndStopWhenWindowOpens() {
        // R-TIMER-6 (first rounds), R-TIMER-7
        // spec §6.3 persist algorithm; RFC 9293 §3.8.6.1 zero-window probing; RFC 1122 §4.2.2.17
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).window(0));
        h.advanceTo(30 * MS);
        byte[] data = bytes(100, 1);
        c.write(data);
        h.expectNothing(1029 * MS);
        // step 2: persist (1×RTO) expires → probe of one byte beyond the window, retransmit in 1×RTO
        h.expect(1030 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 1)));
        // step 3: no answer → probe again, next in 2×RTO
        h.expect(2030 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 1)));
        // step 5: a zero-window ACK answers → next round, persist = RTO << 1
        h.send(2100 * MS, peer(ACK, R, L).window(0));
        h.expectNothing(4099 * MS);
        h.expect(4100 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 1)));
        // the window opens: normal sending resumes at once
        h.send(4200 * MS, peer(ACK, R, L).window(8192));
        h.expect(4200 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
        assertEquals(3, h.stack.counter(TcpCounter.WINDOW_PROBES));
    }

    @Test
    void zeroWindowProbeAcceptedByPeerAdvancesSndUna() {
        // RFC 9293 §3.8.6.1: a probe the receiver accepts (window just opened) is acknowledged normally
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).window(0));
        h.advanceTo(30 * MS);
        byte[] data = bytes(100, 1);
        c.write(data);
        h.expect(1030 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 1)));
        h.send(1040 * MS, peer(ACK, R, L + 1).window(8192));
        h.expect(1040 * MS, ours(ACK | PSH, L + 1, R, 8192).payload(slice(data, 1, 100)));
        assertEquals(99, c.unacknowledgedBytes());
    }

    @Test
    void keepaliveProbesIdleConnectionAndTimesOut() {
        // R-TIMER-10
        // RFC 1122 §4.2.3.6: after KaTimeout idle, probes <SEQ=SND.NXT−1> every KaInterval, KaProbeCount of them
        TcpHarness h = new TcpHarness(TcpHarness.plain().keepAlive(true).keepAliveIdleNs(10_000 * MS)
                .keepAliveIntervalNs(1000 * MS).keepAliveProbes(2).build());
        TcpConnection c = h.establishedPassive();
        TcpSegment probe = ours(ACK, L - 1, R, 8192);
        h.expect(10_010 * MS, probe);
        h.send(10_020 * MS, peer(ACK, R, L)); // answered: the idle timer restarts
        h.expectNothing(20_019 * MS);
        h.expect(20_020 * MS, probe);
        h.expect(21_020 * MS, probe);
        h.advanceTo(22_020 * MS);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.TIMED_OUT), h.closed);
    }

    @Test
    void keepaliveProbeIsAnsweredWithAck() {
        // RFC 1122 §4.2.3.6 / RFC 9293 §3.10.7.4: an old-sequence probe gets <SEQ=SND.NXT><ACK=RCV.NXT>
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        h.establishedPassive();
        h.send(20 * MS, peer(ACK, R - 1, L));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
    }

    @Test
    void nagleHoldsSmallSegmentsWhileDataIsUnacknowledged() {
        // RFC 1122 §4.2.3.4 / RFC 896: a short segment waits until the outstanding data is acknowledged
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.write(bytes(10, 1));
        h.expect(20 * MS, ours(ACK | PSH, L, R, 8192).payload(bytes(10, 1)));
        c.write(bytes(10, 2));
        c.write(bytes(10, 3));
        h.expectNothing(25 * MS);
        h.send(30 * MS, peer(ACK, R, L + 10));
        byte[] both = new byte[20];
        System.arraycopy(bytes(10, 2), 0, both, 0, 10);
        System.arraycopy(bytes(10, 3), 0, both, 10, 10);
        h.expect(30 * MS, ours(ACK | PSH, L + 10, R, 8192).payload(both));
    }

    @Test
    void nagleOffSendsSmallSegmentsAtOnce() {
        // spec §2.6 TCP_FLAG_NAGLING_ENABLED clear: no coalescing
        TcpHarness h = new TcpHarness(TcpHarness.plain().nagle(false).build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.write(bytes(10, 1));
        c.write(bytes(10, 2));
        h.expect(20 * MS, ours(ACK | PSH, L, R, 8192).payload(bytes(10, 1)));
        h.expect(20 * MS, ours(ACK | PSH, L + 10, R, 8192).payload(bytes(10, 2)));
    }

    @Test
    void senderSwsAvoidanceWaitsForUsefulWindow() {
        // R-TIMER-16 (held back: < MSS, more queued, < MaxSndWnd/2)
        // RFC 1122 §4.2.3.4: do not send a tiny segment into a tiny window when more data is queued
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.send(15 * MS, peer(ACK, R, L).window(8192));
        h.send(16 * MS, peer(ACK, R, L).window(100)); // window shrinks to 100 (max seen 8192)
        h.advanceTo(20 * MS);
        c.write(bytes(3000, 1));
        h.expectNothing(25 * MS);
        h.send(30 * MS, peer(ACK, R, L).window(5000));
        h.expect(30 * MS, ours(ACK, L, R, 8192).payload(slice(bytes(3000, 1), 0, 1460)));
        h.expect(30 * MS, ours(ACK, L + 1460, R, 8192).payload(slice(bytes(3000, 1), 1460, 2920)));
        // the 80-byte tail waits for the ACK (Nagle: unacknowledged data outstanding)
        h.expectNothing(35 * MS);
        h.send(40 * MS, peer(ACK, R, L + 2920).window(5000));
        h.expect(40 * MS, ours(ACK | PSH, L + 2920, R, 8192).payload(slice(bytes(3000, 1), 2920, 3000)));
    }

    @Test
    void receiverSendsWindowUpdateAfterApplicationReads() {
        // RFC 1122 §4.2.3.3 / RFC 9293 §3.8.6.2.2: reopen the window once it can grow by a full MSS
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).payload(bytes(1460, 1)));
        h.send(21 * MS, peer(ACK, R + 1460, L).payload(bytes(1460, 2)));
        h.expect(21 * MS, ours(ACK, L, R + 2920, 8192 - 2920));
        h.send(22 * MS, peer(ACK, R + 2920, L).payload(bytes(1460, 3)));
        h.send(23 * MS, peer(ACK, R + 4380, L).payload(bytes(1460, 4)));
        h.expect(23 * MS, ours(ACK, L, R + 5840, 8192 - 5840));
        c.read(new byte[100], 0, 100); // 100 bytes free: not worth an update (RFC 1122 SWS)
        h.expectNothing(24 * MS);
        h.advanceTo(25 * MS);
        c.read(new byte[5740], 0, 5740);
        h.expect(25 * MS, ours(ACK, L, R + 5840, 8192));
    }

    @Test
    void fastRetransmitOnThirdDuplicateAckAndNewRenoPartialAck() {
        // RFC 5681 §3.2 fast retransmit; RFC 6582 §3.2 partial ACK retransmits the next hole at once
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        byte[] data = bytes(5 * 1460, 1);
        c.write(data);
        for (int i = 0; i < 5; i++) {
            h.expect(20 * MS, ours(ACK | (i == 4 ? PSH : 0), L + i * 1460, R, 8192)
                    .payload(slice(data, i * 1460, (i + 1) * 1460)));
        }
        // segments 0 and 2 lost: dup ACKs for L
        h.send(30 * MS, peer(ACK, R, L));
        h.send(31 * MS, peer(ACK, R, L));
        h.expectNothing(31 * MS);
        h.send(32 * MS, peer(ACK, R, L));
        h.expect(32 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 1460)));
        assertEquals(1, h.stack.counter(TcpCounter.FAST_RETRANSMITS));
        // partial ACK up to segment 2: retransmit segment 2 without waiting for more duplicates
        h.send(40 * MS, peer(ACK, R, L + 2 * 1460));
        h.expect(40 * MS, ours(ACK, L + 2 * 1460, R, 8192).payload(slice(data, 2 * 1460, 3 * 1460)));
        h.send(50 * MS, peer(ACK, R, L + 5 * 1460));
        assertEquals(0, c.unacknowledgedBytes());
        h.expectNothing(5000 * MS);
    }

    @Test
    void pathMtuDecreaseResegmentsInFlightData() {
        // R-STATE-13 (current PathMtu)
        // RFC 1191 §6.5 / RFC 8201 §5.4: a smaller PMTU re-segments and resends what is in flight
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        byte[] data = bytes(1460, 1);
        c.write(data);
        h.expect(20 * MS, ours(ACK | PSH, L, R, 8192).payload(data));
        c.onPathMtuDecrease(1000);
        assertEquals(960, c.sendMss());
        h.expect(20 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 960)));
        h.expect(20 * MS, ours(ACK | PSH, L + 960, R, 8192).payload(slice(data, 960, 1460)));
    }

    @Test
    void hardErrorAbortsSynSentAsUnreachable() {
        // RFC 1122 §4.2.3.9: hard ICMP errors abort a connection in SYN-SENT
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.stack.connect(TcpHarness.LOCAL, TcpHarness.REMOTE, 80, h.events);
        c.onHardError(CloseReason.UNREACHABLE);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.UNREACHABLE), h.closed);
        assertEquals(0, h.stack.connectionCount());
    }

    @Test
    void synQueueLimitDropsExtraSyns() {
        // bounded SYN queue (explicit limit, fail closed): further SYNs are dropped and counted
        TcpHarness h = new TcpHarness(TcpHarness.plain().synQueueLimit(2).build());
        TcpListener l = h.stack.listen(TcpHarness.LOCAL, 80, x -> { });
        for (int i = 0; i < 4; i++) {
            h.send(0, peer(SYN, REMOTE_ISN, 0).sourcePort(50000 + i));
        }
        assertEquals(2, l.synQueueLength());
        assertEquals(2, h.sent.size());
        assertEquals(2, h.stack.counter(TcpCounter.DROP_SYN_QUEUE_FULL));
    }

    @Test
    void fullAcceptBacklogResetsWhenConfigured() {
        // accept backlog full with RESET policy: the completing handshake is refused with RST
        TcpHarness h = new TcpHarness(TcpHarness.plain().acceptBacklog(1)
                .backlogFullAction(TcpConfig.BacklogFullAction.RESET).build());
        TcpListener l = h.stack.listen(TcpHarness.LOCAL, 80, x -> { });
        h.send(0, peer(SYN, REMOTE_ISN, 0).sourcePort(50000));
        h.send(0, peer(SYN, REMOTE_ISN, 0).sourcePort(50001));
        h.send(1 * MS, peer(ACK, R, L).sourcePort(50000));
        assertEquals(1, l.backlogLength());
        h.sent.clear();
        h.send(2 * MS, peer(ACK, R, L).sourcePort(50001));
        TcpSegment rst = h.sent.poll().segment();
        assertTrue(rst.has(RST), "expected RST, got " + rst);
        assertEquals(1, l.backlogLength());
        assertEquals(1, h.stack.counter(TcpCounter.DROP_BACKLOG_FULL));
        assertEquals(1, h.stack.connectionCount());
        // with the backlog full, a new SYN is refused at once under the RESET policy
        h.send(3 * MS, peer(SYN, REMOTE_ISN, 0).sourcePort(50002));
        TcpSegment refusal = h.sent.poll().segment();
        assertEquals(RST | ACK, refusal.flags());
        assertEquals(R, refusal.ack());
    }

    @Test
    void fullAcceptBacklogDropsFinalAckByDefault() {
        // DROP policy: the final ACK is ignored, the SYN,ACK timer retries; once there is room it completes
        TcpHarness h = new TcpHarness(TcpHarness.plain().acceptBacklog(1).build());
        TcpListener l = h.stack.listen(TcpHarness.LOCAL, 80, x -> { });
        h.send(0, peer(SYN, REMOTE_ISN, 0).sourcePort(50000));
        h.send(0, peer(SYN, REMOTE_ISN, 0).sourcePort(50001));
        h.send(1 * MS, peer(ACK, R, L).sourcePort(50000));
        h.send(2 * MS, peer(ACK, R, L).sourcePort(50001));
        assertEquals(1, l.backlogLength());
        assertEquals(1, l.synQueueLength());
        l.accept();
        h.send(3 * MS, peer(ACK, R, L).sourcePort(50001));
        assertEquals(1, l.backlogLength());
        assertEquals(0, l.synQueueLength());
    }

    @Test
    void timeWaitTupleReusedByNewerSyn() {
        // RFC 9293 §3.10.7.4 note / RFC 6191: a SYN with a higher sequence number reopens a TIME-WAIT tuple
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.close();
        h.send(30 * MS, peer(ACK | TcpFlags.FIN, R, L + 1));
        assertEquals(TcpState.TIME_WAIT, c.state());
        h.sent.clear();
        h.send(40 * MS, peer(SYN, R + 100_000, 0).mss(1460));
        TcpSegment synAck = h.sent.poll().segment();
        assertEquals(SYN | ACK, synAck.flags());
        assertEquals(R + 100_001, synAck.ack());
    }

    @Test
    void sackRecoveryRetransmitsEveryHoleWithoutWaitingForPartialAcks() {
        // RFC 6675 §5: three SACK-bearing duplicate ACKs → retransmit the first hole (step 4.3), then step C sends
        // the next unSACKed hole (NextSeg rule 3) at once — NewReno would need a partial ACK for it
        TcpHarness h = new TcpHarness(TcpHarness.plain().sack(true).build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460).sackPermitted(true));
        h.send(10 * MS, peer(ACK, R, L));
        TcpConnection c = h.accepted.getFirst();
        h.sent.clear();
        h.advanceTo(20 * MS);
        byte[] data = bytes(5 * 1460, 1);
        c.write(data);
        assertEquals(5, h.sent.size());
        h.sent.clear();
        int s1 = L + 1460;
        int s3 = L + 3 * 1460;
        h.send(30 * MS, peer(ACK, R, L).addSack(s1, s1 + 1460));
        h.send(31 * MS, peer(ACK, R, L).addSack(s3, s3 + 1460).addSack(s1, s1 + 1460));
        h.expectNothing(31 * MS);
        h.send(32 * MS, peer(ACK, R, L).addSack(s3, s3 + 2920).addSack(s1, s1 + 1460));
        h.expect(32 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 1460)));
        h.expect(32 * MS, ours(ACK, L + 2920, R, 8192).payload(slice(data, 2920, 4380)));
        h.expectNothing(40 * MS);
        h.send(50 * MS, peer(ACK, R, L + 5 * 1460));
        assertEquals(0, c.unacknowledgedBytes());
        assertEquals(2, h.stack.counter(TcpCounter.RETRANSMITTED_SEGMENTS));
        h.expectNothing(5000 * MS);
    }

    @Test
    void smallWindowRefusedBySwsAvoidanceIsOverriddenByPersistTimer() {
        // R-TIMER-16 (released when the timer fires)
        // RFC 1122 §4.2.3.4 override timeout: the peer's window is too small to use and its later window update
        // was lost; with nothing in flight the persist timer must eventually send what the window allows
        TcpHarness h = new TcpHarness(TcpHarness.plain().nagle(false).build());
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).window(100));
        h.advanceTo(30 * MS);
        byte[] data = bytes(3000, 1);
        c.write(data);
        h.expectNothing(1029 * MS);
        h.expect(1030 * MS, ours(ACK, L, R, 8192).payload(slice(data, 0, 100)));
        // now ordinary retransmission guards the 100 bytes; the ACK with a big window resumes full segments
        h.send(1040 * MS, peer(ACK, R, L + 100).window(8192));
        h.expect(1040 * MS, ours(ACK, L + 100, R, 8192).payload(slice(data, 100, 1560)));
    }

    @Test
    void pureAcksCarrySndMaxAfterGoBack() {
        // after an RTO rolls SND.NXT back, a pure ACK numbered SND.NXT would be "old" to a peer that already holds
        // the data (RFC 9293 §3.10.7.4 first check) and be ignored: pure ACKs use SND.MAX
        TcpHarness h = new TcpHarness(TcpHarness.plain().congestionControl(null).build()); // NewReno: LW = 1 MSS
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        byte[] data = bytes(2920, 1);
        c.write(data);
        assertEquals(2, h.sent.size());
        h.sent.clear();
        h.advanceTo(1020 * MS); // RTO: go back, the loss window resends only the first segment
        assertEquals(1, h.sent.size());
        assertEquals(L + 1460, c.sndNxt());
        h.sent.clear();
        h.send(1030 * MS, peer(ACK, R, L).payload(bytes(10, 2)));
        h.advanceTo(1070 * MS);
        TcpSegment ack = h.sent.poll().segment();
        assertEquals(0, ack.payloadLength());
        assertEquals(L + 2920, ack.seq());
    }

    @Test
    void idleLongerThanRtoRestartsTheCongestionWindow() {
        // RFC 5681 §4.1: after an idle period longer than the RTO, cwnd = min(IW, cwnd)
        TcpHarness h = new TcpHarness(TcpHarness.plain().congestionControl(null).build());
        TcpConnection c = h.establishedPassive();
        h.send(15 * MS, peer(ACK, R, L).window(65535));
        long t = 20 * MS;
        for (int round = 0; round < 6; round++) {
            h.advanceTo(t);
            c.write(bytes(4 * 1460, round));
            t += 5 * MS;
            h.send(t, peer(ACK, R, c.sndNxt()).window(65535));
        }
        long grown = c.cwnd();
        assertTrue(grown > 3 * 1460, "cwnd grew: " + grown);
        h.advanceTo(t + 10_000 * MS);
        c.write(bytes(100, 1));
        assertEquals(3 * 1460, c.cwnd(), "restart window = IW (RFC 5681 §3.1: 3 segments for this MSS)");
    }

    @Test
    void timeoutIntoAZeroWindowSendsAProbeInsteadOfNothing() {
        // the peer closed its window with our data in flight and its reopening update was lost: the RTO must still
        // put one octet on the wire (RFC 9293 §3.8.6.1) so the peer can tell us its window, or a live connection
        // would time out
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        byte[] data = bytes(3000, 1);
        c.write(data);
        h.sent.clear();
        h.send(30 * MS, peer(ACK, R, L + 1460).window(0));
        h.expectNothing(200 * MS);
        h.advanceTo(2000 * MS);
        TcpSegment probe = h.sent.poll().segment();
        assertEquals(L + 1460, probe.seq());
        assertEquals(1, probe.payloadLength());
        h.sent.clear();
        h.send(2100 * MS, peer(ACK, R, L + 1461).window(8192));
        h.expect(2100 * MS, ours(ACK, L + 1461, R, 8192).payload(slice(data, 1461, 2921)));
        // the 79-byte tail was never sent (Nagle held it behind the outstanding data): it follows the next ACK
        h.expectNothing(2150 * MS);
        h.send(2200 * MS, peer(ACK, R, L + 2921).window(8192));
        h.expect(2200 * MS, ours(ACK | PSH, L + 2921, R, 8192).payload(slice(data, 2921, 3000)));
    }
}
