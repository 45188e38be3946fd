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
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Packet scripts for the RFC 9293 §3.10 state machine (one scripted peer, virtual clock). */
class TcpStateMachineTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    final TcpHarness h = new TcpHarness(TcpHarness.plain().build());

    @Test
    void passiveOpenReachesEstablishedAndNotifiesListener() {
        // RFC 9293 §3.10.7.2 LISTEN → SYN-RECEIVED → §3.10.7.4 ESTABLISHED on an acceptable ACK
        TcpConnection c = h.establishedPassive();
        assertEquals(1, h.stack.connectionCount());
        assertEquals(L, c.sndUna());
        assertEquals(R, c.rcvNxt());
        assertEquals(1460, c.sendMss());
        h.expectNothing(5000 * MS);
    }

    @Test
    void activeOpenReachesEstablished() {
        // RFC 9293 §3.10.7.3 SYN-SENT: SYN,ACK acknowledging our SYN → ESTABLISHED and ACK
        TcpConnection c = h.establishedActive();
        assertEquals(1, h.connectedEvents);
        assertEquals(8192, c.sndWnd());
    }

    @Test
    void synToClosedPortIsAnsweredWithRstAck() {
        // RFC 9293 §3.10.7.1: no ACK → <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
        h.send(0, peer(SYN, REMOTE_ISN, 0));
        h.expect(0, ours(RST | ACK, 0, REMOTE_ISN + 1, 0));
        // with ACK → <SEQ=SEG.ACK><CTL=RST>
        h.send(1 * MS, peer(ACK, 7, 12345).payload(bytes(10, 1)));
        h.expect(1 * MS, ours(RST, 12345, 0, 0));
        // never a RST in reply to a RST
        h.send(2 * MS, peer(RST, 7, 0));
        h.expectNothing(3 * MS);
        assertEquals(3, h.stack.counter(TcpCounter.DROP_NO_CONNECTION));
    }

    @Test
    void activeOpenRefusedByRst() {
        // RFC 9293 §3.10.7.3: RST with an acceptable ACK in SYN-SENT → CLOSED, "connection refused"
        TcpConnection c = h.stack.connect(TcpHarness.LOCAL, 40000, TcpHarness.REMOTE, TcpHarness.REMOTE_PORT,
                h.events);
        h.sent.clear();
        TcpSegment rst = peer(RST | ACK, 0, LOCAL_ISN + 1);
        rst.destinationPort(40000);
        h.send(1 * MS, rst);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.REFUSED), h.closed);
        assertNull(h.stack.find(TcpHarness.LOCAL, 40000, TcpHarness.REMOTE, TcpHarness.REMOTE_PORT));
    }

    @Test
    void synRetransmittedWithBackoffThenTimesOut() {
        // RFC 6298 §5.5 backoff from the 1 s initial RTO (RFC 6298 §2.1); synRetries then TIMED_OUT
        TcpHarness t = new TcpHarness(TcpHarness.plain().synRetries(2).build());
        t.stack.connect(TcpHarness.LOCAL, 40000, TcpHarness.REMOTE, TcpHarness.REMOTE_PORT, t.events);
        TcpSegment syn = ours(SYN, LOCAL_ISN, 0, 8192).mss(1460).sourcePort(40000);
        t.expect(0, syn);
        t.expect(1000 * MS, syn);
        t.expect(3000 * MS, syn);
        t.expectNothing(6999 * MS);
        t.advanceTo(7000 * MS);
        assertEquals(List.of(CloseReason.TIMED_OUT), t.closed);
        assertEquals(0, t.stack.connectionCount());
    }

    @Test
    void synAckRetransmittedWhenFinalAckLost() {
        // RFC 9293 §3.10.7.4: a retransmitted SYN in SYN-RECEIVED gets the SYN,ACK again; the timer also resends
        h.listener = h.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> { });
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460));
        TcpSegment synAck = ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460);
        h.expect(0, synAck);
        h.expect(1000 * MS, synAck);
        h.send(1500 * MS, peer(SYN, REMOTE_ISN, 0).mss(1460));
        h.expect(1500 * MS, synAck);
        assertEquals(1, h.listener.synQueueLength());
    }

    @Test
    void simultaneousOpen() {
        // R-RFC-1 (simultaneous open)
        // RFC 9293 §3.5 figure 7: SYN-SENT → SYN-RECEIVED on a bare SYN → ESTABLISHED on the peer's SYN,ACK
        TcpConnection c = h.stack.connect(TcpHarness.LOCAL, 80, TcpHarness.REMOTE, TcpHarness.REMOTE_PORT,
                h.events);
        h.expect(0, ours(SYN, LOCAL_ISN, 0, 8192).mss(1460));
        h.send(1 * MS, peer(SYN, REMOTE_ISN, 0).mss(1460));
        h.expect(1 * MS, ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460));
        assertEquals(TcpState.SYN_RECEIVED, c.state());
        h.send(2 * MS, peer(SYN | ACK, REMOTE_ISN, L).mss(1460));
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1, h.connectedEvents);
    }

    @Test
    void dataIsDeliveredAndAckedAfterDelayedAckTimeout() {
        // R-TIMER-14 (no later than the delayed-ACK time)
        // RFC 1122 §4.2.3.2 delayed ACK (40 ms configured), RFC 9293 §3.10.7.4 seventh step
        TcpConnection c = h.establishedPassive();
        byte[] data = bytes(100, 3);
        h.send(20 * MS, peer(ACK | PSH, R, L).payload(data));
        h.expectNothing(59 * MS);
        h.expect(60 * MS, ours(ACK, L, R + 100, 8092));
        byte[] got = new byte[200];
        assertEquals(100, c.read(got, 0, 200));
        assertArrayEquals(data, java.util.Arrays.copyOf(got, 100));
        assertEquals(0, c.read(got, 0, 200));
    }

    @Test
    void everySecondFullSegmentIsAckedAtOnce() {
        // R-TIMER-14 (ACK frequency 2)
        // RFC 5681 §4.2: an ACK at least every second full-sized segment
        h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).payload(bytes(1460, 1)));
        h.expectNothing(21 * MS);
        h.send(21 * MS, peer(ACK, R + 1460, L).payload(bytes(1460, 2)));
        h.expect(21 * MS, ours(ACK, L, R + 2920, 8192 - 2920));
    }

    @Test
    void sendsDataAndRetransmitsOnTimeoutWithBackoff() {
        // RFC 6298 §5: timer started with the first segment, §5.4 retransmit the earliest, §5.5 double the RTO
        TcpConnection c = h.establishedPassive();
        byte[] data = bytes(10, 9);
        h.advanceTo(20 * MS);
        c.write(data);
        TcpSegment seg = ours(ACK | PSH, L, R, 8192).payload(data);
        h.expect(20 * MS, seg);
        h.expect(1020 * MS, seg);
        h.expect(3020 * MS, seg);
        h.send(3030 * MS, peer(ACK, R, L + 10));
        h.expectNothing(20_000 * MS);
        assertEquals(0, c.unacknowledgedBytes());
        assertEquals(2, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
    }

    @Test
    void retransmissionLimitAbortsWithTimedOut() {
        // R-TIMER-4 (engine part: count limit → TIMED_OUT)
        // spec §6.1: MaxRT = 0 → TcpMaximumRetransmissions count limit, then TIMED_OUT to the application
        TcpHarness t = new TcpHarness(TcpHarness.plain().maxRetransmissions(2).build());
        TcpConnection c = t.establishedPassive();
        c.write(bytes(10, 1));
        t.advanceTo(100_000 * MS);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.TIMED_OUT), t.closed);
        assertEquals(2, t.stack.counter(TcpCounter.RTO_EXPIRATIONS));
    }

    @Test
    void maxRtTimeBudgetAbortsAndSoftErrorIsReported() {
        // R-TIMER-4 (engine part: MaxRT time budget)
        // spec §6.1: MaxRT ≠ 0 is a time budget against TotalRT; RFC 1122 §4.2.3.9: report the soft error
        TcpConnection c = h.establishedPassive();
        c.updateCached(c.cached().withMaxRtTicks(2500), false, false);
        c.onSoftError(CloseReason.UNREACHABLE);
        h.advanceTo(20 * MS);
        c.write(bytes(10, 1));
        // retransmits at 1020 ms (TotalRT 0), 3020 ms (2000 ticks); at 7020 ms TotalRT = 6000 ≥ 2500 → abort
        h.advanceTo(7019 * MS);
        assertEquals(TcpState.ESTABLISHED, c.state());
        h.advanceTo(7020 * MS);
        assertEquals(List.of(CloseReason.UNREACHABLE), h.closed);
    }

    @Test
    void activeCloseThroughFinWait2AndTimeWait() {
        // R-RFC-1 (active close)
        // RFC 9293 §3.6 case 1: ESTABLISHED → FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → (2 MSL) CLOSED
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.close();
        h.expect(20 * MS, ours(ACK | FIN, L, R, 8192));
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        h.send(30 * MS, peer(ACK, R, L + 1));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        h.send(40 * MS, peer(ACK | FIN, R, L + 1));
        h.expect(40 * MS, ours(ACK, L + 1, R + 1, 8192));
        assertEquals(TcpState.TIME_WAIT, c.state());
        // a retransmitted FIN in TIME-WAIT is acknowledged and restarts 2 MSL (RFC 9293 §3.10.7.4)
        h.send(1040 * MS, peer(ACK | FIN, R, L + 1));
        h.expect(1040 * MS, ours(ACK, L + 1, R + 1, 8192));
        h.advanceTo(61_039 * MS);
        assertEquals(TcpState.TIME_WAIT, c.state());
        h.advanceTo(61_040 * MS + TcpStack.TIME_WAIT_SLACK_NS); // 2 MSL at least, ended within the stack's slack
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(0, h.stack.connectionCount());
        assertEquals(List.of(CloseReason.NORMAL), h.closed);
    }

    @Test
    void passiveCloseThroughCloseWaitAndLastAck() {
        // R-RFC-1 (passive close, half-close: still sending after the peer's FIN)
        // RFC 9293 §3.6 case 2: FIN received → CLOSE-WAIT; close → LAST-ACK; ACK of FIN → CLOSED
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK | FIN, R, L));
        h.expect(20 * MS, ours(ACK, L, R + 1, 8192));
        assertEquals(TcpState.CLOSE_WAIT, c.state());
        assertEquals(-1, c.read(new byte[10], 0, 10));
        c.write(bytes(5, 5)); // half-close: we can still send
        h.expect(20 * MS, ours(ACK | PSH, L, R + 1, 8192).payload(bytes(5, 5)));
        c.close();
        h.expect(20 * MS, ours(ACK | FIN, L + 5, R + 1, 8192));
        assertEquals(TcpState.LAST_ACK, c.state());
        h.send(30 * MS, peer(ACK, R + 1, L + 6));
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.NORMAL), h.closed);
    }

    @Test
    void simultaneousCloseGoesThroughClosing() {
        // R-RFC-1 (simultaneous close)
        // RFC 9293 §3.6 case 3: FIN-WAIT-1 + FIN → CLOSING; ACK of our FIN → TIME-WAIT
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.shutdownOutput();
        h.expect(20 * MS, ours(ACK | FIN, L, R, 8192));
        h.send(21 * MS, peer(ACK | FIN, R, L));
        h.expect(21 * MS, ours(ACK, L + 1, R + 1, 8192));
        assertEquals(TcpState.CLOSING, c.state());
        h.send(22 * MS, peer(ACK, R + 1, L + 1));
        assertEquals(TcpState.TIME_WAIT, c.state());
    }

    @Test
    void finWait2TimesOut() {
        // R-TIMER-12 (default 120 s, restarted by an acceptable segment, CLOSED on expiry)
        // spec §6.5: the FIN_WAIT_2 timer (120 s) closes the connection, restarted by acceptable segments
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.shutdownOutput();
        h.expect(20 * MS, ours(ACK | FIN, L, R, 8192));
        h.send(30 * MS, peer(ACK, R, L + 1));
        h.send(60_030 * MS, peer(ACK, R, L + 1).payload(bytes(10, 1)));
        h.advanceTo(180_029 * MS);
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        h.advanceTo(180_030 * MS);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.TIMED_OUT), h.closed);
    }

    @Test
    void exactRstResetsConnection() {
        // R-BLIND-2
        // RFC 5961 §3.2: RST with SEG.SEQ == RCV.NXT resets the connection
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(RST, R, 0));
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.RESET), h.closed);
        h.expectNothing(10_000 * MS);
    }

    @Test
    void inWindowRstGetsChallengeAckAndOutOfWindowRstIsIgnored() {
        // R-BLIND-1, R-BLIND-3 (first challenge ACK)
        // RFC 5961 §3.2: in-window but not exact → challenge ACK; outside the window → silently dropped
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(RST, R + 100, 0));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
        h.send(21 * MS, peer(RST, R + 100_000, 0));
        h.expectNothing(22 * MS);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1, h.stack.counter(TcpCounter.CHALLENGE_ACKS));
    }

    @Test
    void synInEstablishedGetsChallengeAck() {
        // R-BLIND-6 (first challenge ACK)
        // RFC 5961 §4.2: any SYN in a synchronized state → challenge ACK, connection untouched
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(SYN, R + 10, 0));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void challengeAcksAreRateLimited() {
        // RFC 5961 §7: at most challengeAcksPerSecond per second, stack-wide
        // (each RST follows an acceptable segment, so the per-connection R-BLIND-3 period does not interfere)
        TcpHarness t = new TcpHarness(TcpHarness.plain().challengeAcksPerSecond(2).build());
        t.establishedPassive();
        for (int i = 0; i < 5; i++) {
            t.send(20 * MS, peer(ACK, R, L));
            t.send(20 * MS, peer(RST, R + 100 + i, 0));
        }
        assertEquals(2, t.sent.size());
        assertEquals(3, t.stack.counter(TcpCounter.CHALLENGE_ACKS_SUPPRESSED));
        t.sent.clear();
        t.send(1020 * MS, peer(ACK, R, L));
        t.send(1020 * MS, peer(RST, R + 100, 0));
        assertEquals(1, t.sent.size());
    }

    @Test
    void ackOutsideAcceptableRangeIsRejected() {
        // RFC 5961 §5.2: ACK older than SND.UNA − MAX.SND.WND → challenge ACK, data not accepted;
        // RFC 9293 §3.10.7.4: ACK of something not yet sent → ACK and drop
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L - 100_000).payload(bytes(10, 1)));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
        h.send(21 * MS, peer(ACK, R, L + 5000).payload(bytes(10, 1)));
        h.expect(21 * MS, ours(ACK, L, R, 8192));
        assertEquals(0, c.readableBytes());
    }

    @Test
    void outOfWindowDataIsAckedAndDropped() {
        // RFC 9293 §3.10.7.4 first check: unacceptable segment → <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R + 9000, L).payload(bytes(10, 1)));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
        h.send(21 * MS, peer(ACK, R - 20, L).payload(bytes(10, 1)));
        h.expect(21 * MS, ours(ACK, L, R, 8192));
        assertEquals(0, c.readableBytes());
        assertEquals(2, h.stack.counter(TcpCounter.DROP_UNACCEPTABLE_SEQ));
    }

    @Test
    void outOfOrderDataIsHeldAndDeliveredWhenHoleFills() {
        // R-RFC-2
        // RFC 9293 §3.10.7.4 (hold for later), RFC 5681 §4.2 immediate ACKs for out-of-order and hole filling
        TcpConnection c = h.establishedPassive();
        byte[] a = bytes(100, 1);
        byte[] b = bytes(100, 2);
        h.send(20 * MS, peer(ACK, R + 100, L).payload(b));
        h.expect(20 * MS, ours(ACK, L, R, 8192));
        assertEquals(0, c.readableBytes());
        h.send(21 * MS, peer(ACK, R, L).payload(a));
        h.expect(21 * MS, ours(ACK, L, R + 200, 8192 - 200));
        byte[] got = new byte[200];
        assertEquals(200, c.read(got, 0, 200));
        byte[] want = new byte[200];
        System.arraycopy(a, 0, want, 0, 100);
        System.arraycopy(b, 0, want, 100, 100);
        assertArrayEquals(want, got);
    }

    @Test
    void abortSendsRst() {
        // RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.abort();
        h.expect(20 * MS, ours(RST | ACK, L, R, 8192 - 8192));
        assertEquals(List.of(CloseReason.ABORTED), h.closed);
        assertThrows(IllegalStateException.class, () -> c.write(new byte[1]));
    }

    @Test
    void closeInSynReceivedSendsFinOnceEstablished() {
        // RFC 9293 §3.10.4 CLOSE in SYN-RECEIVED: queue the FIN until ESTABLISHED, then enter FIN-WAIT-1
        TcpConnection c = h.stack.connect(TcpHarness.LOCAL, 80, TcpHarness.REMOTE, TcpHarness.REMOTE_PORT,
                h.events);
        h.expect(0, ours(SYN, LOCAL_ISN, 0, 8192).mss(1460));
        h.send(1 * MS, peer(SYN, REMOTE_ISN, 0).mss(1460));
        h.expect(1 * MS, ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460));
        c.close();
        assertEquals(TcpState.SYN_RECEIVED, c.state());
        assertThrows(IllegalStateException.class, () -> c.write(new byte[1]));
        h.send(2 * MS, peer(SYN | ACK, REMOTE_ISN, L).mss(1460));
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        h.expect(2 * MS, ours(ACK | FIN, L, R, 8192));
        h.send(3 * MS, peer(ACK, R, L + 1));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
    }

    @Test
    void secondFullSizedSegmentOfASmallMssPeerIsAckedAtOnce() {
        // RFC 5681 §4.2: "full-sized" is the sender's segment size — a peer limited to 536-byte segments still
        // gets an ACK for every second one, not every fifth
        h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).payload(bytes(536, 1)));
        h.expectNothing(21 * MS);
        h.send(21 * MS, peer(ACK, R + 536, L).payload(bytes(536, 2)));
        h.expect(21 * MS, ours(ACK, L, R + 1072, 8192 - 1072));
    }
}
