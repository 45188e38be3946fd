package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.FIN;
import static dev.chimney.tcp.TcpFlags.PSH;
import static dev.chimney.tcp.TcpFlags.SYN;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.ours;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RACK-TLP (RFC 8985), the default loss detection of SACK connections, as packet scripts on a virtual clock: losses
 * found by time rather than by a DupAck count, lost retransmissions found anywhere, the reordering window and its
 * D-SACK adaptation, tail loss probes, the RTO as the last resort; with PRR (RFC 6937) pacing fast recovery and
 * D-SACK (RFC 2883 generation, RFC 3708 detection) undoing spurious reductions.
 */
class RackTlpTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;
    static final int MSS = 1460;
    static final int WINDOW = 60_000;

    static TcpConfig.Builder sack() {
        return TcpHarness.plain().sack(true);
    }

    /** Real NewReno with RFC 6928 IW10 instead of the scripts' fixed window: the reductions are visible. */
    static TcpConfig.Builder newReno() {
        return sack().congestionControl(null).initialWindowSegments(10);
    }

    /** Passive open with SACK permitted both ways, the peer's window 60000: ESTABLISHED at 1 ms. */
    static TcpConnection open(TcpHarness h) {
        h.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(MSS).sackPermitted(true));
        h.expect(0, ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(MSS).sackPermitted(true));
        h.send(1 * MS, peer(ACK, R, L).window(WINDOW));
        return h.accepted.getFirst();
    }

    /** As {@link #open}, then one segment acknowledged after 20 ms: SRTT = 20 ms, RTO = 200 ms (its minimum). */
    static TcpConnection measured(TcpHarness h) {
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] first = bytes(MSS, 99);
        c.write(first);
        h.expect(20 * MS, ours(ACK | PSH, L, R, 8192).payload(first));
        h.send(40 * MS, ack(L + MSS));
        return c;
    }

    static TcpSegment ack(int ackNo) {
        return peer(ACK, R, ackNo).window(WINDOW);
    }

    /** An ACK of {@code ackNo} SACKing segments [from, to) of a flight starting at {@code base}. */
    static TcpSegment sack(int ackNo, int base, int... ranges) {
        TcpSegment s = ack(ackNo);
        for (int i = 0; i < ranges.length; i += 2) {
            s.addSack(base + ranges[i] * MSS, base + ranges[i + 1] * MSS);
        }
        return s;
    }

    static byte[] seg(byte[] data, int i) {
        return Arrays.copyOfRange(data, i * MSS, Math.min(data.length, (i + 1) * MSS));
    }

    /** Segment i of {@code data} sent from {@code base}, as we would send it (PSH on the last of the buffer). */
    static TcpSegment data(int base, byte[] data, int i, boolean psh) {
        return ours(ACK | (psh ? PSH : 0), base + i * MSS, R, 8192).payload(seg(data, i));
    }

    /** Sequence numbers of the data segments sent since the last call (in order). */
    static List<Integer> drain(TcpHarness h) {
        List<Integer> seqs = new ArrayList<>();
        TcpHarness.Sent s;
        while ((s = h.sent.poll()) != null) {
            if (s.segment().payloadLength() > 0) {
                seqs.add(s.segment().seq());
            }
        }
        return seqs;
    }

    static List<Integer> segs(int base, int... indexes) {
        List<Integer> l = new ArrayList<>();
        for (int i : indexes) {
            l.add(base + i * MSS);
        }
        return l;
    }

    // ------------------------------------------------------------------------------------------------------------
    // RACK: loss detection by time (RFC 8985 §6.2)
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void oneSackedSegmentMarksTheEarlierOneLostAfterRttPlusReorderingWindow() {
        // RFC 8985 §6.2 steps 2, 4, 5 and §8: one SACK (a single duplicate ACK, far below DupThresh) delivers
        // segment 1, sent at 20 ms, 10 ms later: RACK.rtt = RACK.min_RTT = 10 ms, RACK.reo_wnd = min_RTT / 4 =
        // 2.5 ms (no reordering seen, fewer than DupThresh SACKed). Segment 0, sent before it, is lost once it has
        // been out for RACK.rtt + reo_wnd: the reordering timer retransmits it at 20 + 10 + 2.5 ms.
        TcpHarness h = new TcpHarness(sack().build());
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(5 * MSS, 1);
        c.write(d);
        assertEquals(segs(L, 0, 1, 2, 3, 4), drain(h));
        h.send(30 * MS, sack(L, L, 1, 2));
        h.expectNothing(32_499_999);
        h.expect(32_500_000, data(L, d, 0, false));
        assertEquals(1, h.stack.counter(TcpCounter.RACK_REORDER_TIMEOUTS));
        assertEquals(1, h.stack.counter(TcpCounter.FAST_RETRANSMITS));
        assertEquals(LossRecoveryState.Phase.FAST_RECOVERY, c.recoveryPhase());
        h.send(40 * MS, ack(L + 5 * MSS));
        assertEquals(LossRecoveryState.Phase.OPEN, c.recoveryPhase());
        assertEquals(0, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
    }

    @Test
    void theSameSingleSackLeavesRfc6675WaitingForTheRto() {
        // the comparison: RFC 6675 §5 needs DupThresh duplicate ACKs or IsLost(); one SACK is neither
        TcpHarness h = new TcpHarness(sack().lossDetection(TcpConfig.LossDetection.RFC6675).build());
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(5 * MSS, 1);
        c.write(d);
        drain(h);
        h.send(30 * MS, sack(L, L, 1, 2));
        h.expectNothing(1019 * MS);
        h.expect(1020 * MS, data(L, d, 0, false));
        assertEquals(1, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
    }

    @Test
    void threeSackedSegmentsCloseTheReorderingWindow() {
        // RFC 8985 §6.2 step 4: with no reordering seen and DupThresh (3) segments SACKed, RACK.reo_wnd = 0, so
        // the ACK itself marks segment 0 lost (it has been out for RACK.rtt) — the DupAck threshold's speed
        TcpHarness h = new TcpHarness(sack().build());
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(5 * MSS, 2);
        c.write(d);
        drain(h);
        h.send(30 * MS, sack(L, L, 1, 4));
        h.expect(30 * MS, data(L, d, 0, false));
        assertEquals(0, h.stack.counter(TcpCounter.RACK_REORDER_TIMEOUTS));
        assertEquals(1, h.stack.counter(TcpCounter.RACK_LOST_SEGMENTS));
    }

    @Test
    void lostRetransmissionsAreFoundAnywhereInTheScoreboard() {
        // RFC 8985 §3.1, §6.2 step 5: a retransmission is a transmission like any other, with its own xmit_ts. Holes
        // at segments 2 and 5; both retransmissions are lost; data sent after them is SACKed, so both are lost again
        // — segment 5 is not SND.UNA, where the RFC 6675 option (lostRetransmitDetection) looked. No RTO.
        TcpHarness h = new TcpHarness(sack().congestionControl(() -> new FixedWindowControl(10 * MSS)).build());
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(20 * MSS, 3);
        c.write(d);
        assertEquals(10, drain(h).size(), "a fixed window of ten segments");
        // segments 0-1 arrive, 3-4 and 6-9 are SACKed: 2 and 5 were sent before the SACKed 9, and there are more than
        // DupThresh SACKed, so both are lost at once (reo_wnd = 0)
        h.send(30 * MS, sack(L + 2 * MSS, L, 3, 5, 6, 10));
        List<Integer> first = drain(h);
        assertEquals(segs(L, 2, 5), first.subList(0, 2), "the holes first, lowest first: " + first);
        assertTrue(first.size() > 2 && first.get(2) == L + 10 * MSS, "then new data: " + first);
        int lastNew = first.getLast();
        // both retransmissions are lost; the new data sent after them arrives
        h.send(40 * MS, sack(L + 2 * MSS, L, 3, 5, 6, (lastNew - L) / MSS + 1));
        List<Integer> again = drain(h);
        assertEquals(segs(L, 2, 5), again.subList(0, 2), "both lost retransmissions resent: " + again);
        assertEquals(2, h.stack.counter(TcpCounter.LOST_RETRANSMITS));
        assertEquals(1, h.stack.counter(TcpCounter.FAST_RETRANSMITS), "one episode");
        assertEquals(0, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
        assertEquals(LossRecoveryState.Phase.FAST_RECOVERY, c.recoveryPhase());
    }

    // ------------------------------------------------------------------------------------------------------------
    // D-SACK: generation (RFC 2883), reordering window (RFC 8985 §6.2 step 4), undo (RFC 3708)
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void aDuplicateSegmentIsReportedInTheFirstSackBlock() {
        // RFC 2883 §4: the ACK answering a duplicate carries it as the first SACK block, below the cumulative ACK
        TcpHarness h = new TcpHarness(sack().build());
        open(h);
        byte[] a = bytes(100, 7);
        h.send(10 * MS, peer(ACK, R, L).payload(a));
        h.expect(50 * MS, ours(ACK, L, R + 100, 8092)); // delayed ACK
        h.send(60 * MS, peer(ACK, R, L).payload(a)); // the peer retransmits it anyway
        h.expect(60 * MS, ours(ACK, L, R + 100, 8092).addSack(R, R + 100));
        assertEquals(1, h.stack.counter(TcpCounter.DSACKS_SENT));
        // a partly duplicate segment: only the part already held is reported
        byte[] b = bytes(200, 8);
        System.arraycopy(a, 50, b, 0, 50);
        h.send(70 * MS, peer(ACK, R + 50, L).payload(b));
        h.expect(70 * MS, ours(ACK, L, R + 250, 8192 - 250).addSack(R + 50, R + 100));
    }

    @Test
    void aDuplicateOfOutOfOrderDataIsReportedWithTheBlockHoldingIt() {
        // RFC 2883 §4: a duplicate above the cumulative ACK lies inside a SACK block; that block follows the D-SACK
        TcpHarness h = new TcpHarness(sack().build());
        open(h);
        byte[] x = bytes(100, 9);
        h.send(10 * MS, peer(ACK, R + 200, L).payload(x));
        h.expect(10 * MS, ours(ACK, L, R, 8192).addSack(R + 200, R + 300));
        h.send(20 * MS, peer(ACK, R + 200, L).payload(x));
        h.expect(20 * MS, ours(ACK, L, R, 8192).addSack(R + 200, R + 300).addSack(R + 200, R + 300));
        // the report is made once: the next ACK carries only the SACK block
        h.send(30 * MS, peer(ACK, R + 400, L).payload(x));
        h.expect(30 * MS, ours(ACK, L, R, 8192).addSack(R + 400, R + 500).addSack(R + 200, R + 300));
    }

    @Test
    void withDsackOffDuplicatesAreAcknowledgedWithoutIt() {
        TcpHarness h = new TcpHarness(sack().dsack(false).build());
        open(h);
        byte[] a = bytes(100, 7);
        h.send(10 * MS, peer(ACK, R, L).payload(a));
        h.expect(50 * MS, ours(ACK, L, R + 100, 8092));
        h.send(60 * MS, peer(ACK, R, L).payload(a));
        h.expect(60 * MS, ours(ACK, L, R + 100, 8092));
        assertEquals(0, h.stack.counter(TcpCounter.DSACKS_SENT));
    }

    /**
     * Ten segments at 20 ms (IW10); segment 0 is acknowledged at 30 ms (SRTT 10 ms) with 2-4 SACKed, so segment 1
     * is lost (three SACKed: reo_wnd 0) and fast recovery halves the window. Then the original of segment 1 arrives
     * after all (it was only reordered): everything is acknowledged, and the peer reports the retransmission as a
     * duplicate. Returns the connection after that D-SACK.
     */
    static TcpConnection reorderedNotLost(TcpHarness h, long[] cwndBefore) {
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(10 * MSS, 4);
        c.write(d);
        assertEquals(10, drain(h).size());
        h.send(30 * MS, sack(L + MSS, L, 2, 5));
        assertEquals(segs(L, 1), drain(h));
        assertEquals(LossRecoveryState.Phase.FAST_RECOVERY, c.recoveryPhase());
        cwndBefore[0] = c.cwnd();
        h.send(31 * MS, ack(L + 10 * MSS)); // the reordered original: recovery ends
        assertEquals(LossRecoveryState.Phase.OPEN, c.recoveryPhase());
        h.send(32 * MS, ack(L + 10 * MSS).addSack(L + MSS, L + 2 * MSS)); // RFC 2883: the retransmission was a dup
        return c;
    }

    @Test
    void aDsackForEveryRetransmissionUndoesTheReduction() {
        // RFC 3708 §2-3: every retransmission of the episode was reported as a duplicate, so the loss was not one;
        // the reduction is taken back (RFC 4015 §3.2: cwnd and ssthresh as before it). RFC 8985 §6.2 step 4: the
        // D-SACK also widens the reordering window (reo_wnd_mult 1 → 2) for the next 16 recoveries.
        TcpHarness h = new TcpHarness(newReno().build());
        long[] reduced = new long[1];
        TcpConnection c = reorderedNotLost(h, reduced);
        assertEquals(1, h.stack.counter(TcpCounter.SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(11L * MSS, c.cwnd(), "IW10 grown by the ACK of segment 0 (slow start), restored");
        assertTrue(reduced[0] < 11L * MSS, "fast recovery had reduced it: " + reduced[0]);
        assertEquals(2, c.rackScoreboard().reoWndMult());
        assertEquals(1, h.stack.counter(TcpCounter.DSACKS_RECEIVED));
        // the late original was delivered after its retransmission was sent, which RFC 8985 §6.2 step 3 cannot see;
        // the D-SACK shows it was reordering, so the window stops being zero in recovery (RackScoreboard#onAck)
        assertTrue(c.rackScoreboard().reorderingSeen());
        assertTrue(c.rackScoreboard().reoWndNs(true, 10 * MS) > 0);
    }

    @Test
    void withUndoOffTheSpuriousReductionStays() {
        TcpHarness h = new TcpHarness(newReno().undo(false).build());
        long[] reduced = new long[1];
        TcpConnection c = reorderedNotLost(h, reduced);
        assertEquals(0, h.stack.counter(TcpCounter.SPURIOUS_RECOVERIES_UNDONE));
        assertTrue(c.cwnd() < 11L * MSS, "cwnd " + c.cwnd());
        assertEquals(2, c.rackScoreboard().reoWndMult(), "the reordering window adapts all the same");
    }

    @Test
    void aSpuriousRtoIsUndoneByTheDsackOfItsRetransmission() {
        // RFC 8985 §6.3 with RFC 3708: the ACKs were late, not lost. The RTO retransmits segment 0 with a loss window
        // of one segment; the late ACK arrives, then the D-SACK of the retransmission: cwnd and ssthresh come back
        // and the RTO's loss marks are cleared (Linux's undo after a spurious timeout). No SRTT, so no probe.
        TcpHarness h = new TcpHarness(newReno().build());
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(2 * MSS, 5);
        c.write(d);
        drain(h);
        long before = c.cwnd();
        h.expect(1020 * MS, data(L, d, 0, false)); // RFC 6298 §2.1: initial RTO 1 s
        assertEquals(1, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
        assertEquals(MSS, c.cwnd(), "RFC 5681 §3.1 loss window");
        assertEquals(LossRecoveryState.Phase.RTO_RECOVERY, c.recoveryPhase());
        h.send(1025 * MS, ack(L + 2 * MSS));
        assertEquals(LossRecoveryState.Phase.OPEN, c.recoveryPhase());
        h.send(1030 * MS, ack(L + 2 * MSS).addSack(L, L + MSS));
        assertEquals(1, h.stack.counter(TcpCounter.SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(before, c.cwnd());
        assertEquals(1, h.stack.counter(TcpCounter.LOSS_EPISODES));
    }

    /** The spurious-RTO script with timestamps; returns the connection after the late ACK. */
    static TcpConnection lateAckAfterRto(TcpHarness h, long[] cwndBefore) {
        h.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(MSS).sackPermitted(true).timestamp(7, 0));
        int synAckTs = h.sent.poll().segment().tsVal();
        h.send(1 * MS, ack(L).timestamp(8, synAckTs));
        TcpConnection c = h.accepted.getFirst();
        h.advanceTo(20 * MS);
        c.write(bytes(2 * (MSS - 12), 5));
        TcpHarness.Sent original = h.sent.poll();
        h.sent.clear();
        cwndBefore[0] = c.cwnd();
        h.advanceTo(500 * MS); // the probe, then the RTO: the head segment again, a loss window of one segment
        assertEquals(1, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
        assertEquals(LossRecoveryState.Phase.RTO_RECOVERY, c.recoveryPhase());
        // the peer's ACK of the originals was only late: it echoes the first original's TSval (RFC 7323 §4.3)
        h.send(501 * MS, ack(L + 2 * (MSS - 12)).timestamp(9, original.segment().tsVal()));
        return c;
    }

    @Test
    void aSpuriousRtoIsUndoneAtOnceWhenTheAckEchoesTheOriginalsTimestamp() {
        // RFC 3522 §3.2 (Eifel detection) with the RFC 4015 §3.2 response: the first ACK of new data after the timeout
        // carries a TSecr older than the retransmission's TSval, so it was the original that arrived — the window
        // comes back without waiting for a D-SACK
        TcpHarness h = new TcpHarness(newReno().timestamps(true).build());
        long[] before = new long[1];
        TcpConnection c = lateAckAfterRto(h, before);
        assertEquals(1, h.stack.counter(TcpCounter.SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(LossRecoveryState.Phase.OPEN, c.recoveryPhase());
        assertTrue(c.cwnd() >= before[0], "cwnd " + c.cwnd() + " restored to at least " + before[0]);
    }

    @Test
    void withUndoOffTheLateAckLeavesTheLossWindow() {
        TcpHarness h = new TcpHarness(newReno().timestamps(true).undo(false).build());
        long[] before = new long[1];
        TcpConnection c = lateAckAfterRto(h, before);
        assertEquals(0, h.stack.counter(TcpCounter.SPURIOUS_RECOVERIES_UNDONE));
        assertTrue(c.cwnd() < before[0], "cwnd " + c.cwnd() + " still reduced below " + before[0]);
    }

    @Test
    void aNetworkDuplicateOfAnOriginalDoesNotUndo() {
        // RFC 3708 §2: only a duplicate of a retransmission says the retransmission was unnecessary. Here the peer
        // reports a duplicate of segment 3, which was never retransmitted: the episode stays.
        TcpHarness h = new TcpHarness(newReno().build());
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(10 * MSS, 4);
        c.write(d);
        drain(h);
        h.send(30 * MS, sack(L + MSS, L, 2, 5));
        assertEquals(segs(L, 1), drain(h));
        long reduced = c.cwnd();
        h.send(31 * MS, sack(L + MSS, L, 3, 4, 2, 5)); // D-SACK of segment 3 (inside the SACKed block)
        assertEquals(0, h.stack.counter(TcpCounter.SPURIOUS_RECOVERIES_UNDONE));
        assertEquals(reduced, c.cwnd());
        assertEquals(LossRecoveryState.Phase.FAST_RECOVERY, c.recoveryPhase());
    }

    // ------------------------------------------------------------------------------------------------------------
    // PRR (RFC 6937)
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void prrSendsInProportionToWhatIsDeliveredThenCatchesUpToSsthresh() {
        // RFC 6937 §3 with PRR-SSRB, by hand: IW10 of 1460-byte segments (14600) in flight; segment 0 is lost and
        // 1-3 SACKed, so RecoverFS = 14600 and NewReno's ssthresh = 7300. Per ACK (pipe = outstanding − SACKed −
        // lost): 1) delivered 4380, pipe 8760 > ssthresh: sndcnt = ceil(4380·7300/14600) − 0 = 2190 → the
        // retransmission of 0 (prr_out 1460); 2) +1460 (5840), pipe 8760: 2920 − 1460 = 1460 → one new segment;
        // 3) 7300, pipe 8760: 3650 − 2920 = 730 → nothing (less than a segment); 4) 8760, pipe 7300 = ssthresh:
        // SSRB, min(7300 − 7300, ...) = 0 → nothing; 5)-7) pipe 5840: min(1460, ...) → one each. Then the
        // retransmission arrives and recovery ends with cwnd = ssthresh: no burst, no stall.
        TcpHarness h = new TcpHarness(newReno().build());
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(20 * MSS, 6);
        c.write(d);
        assertEquals(10, drain(h).size());
        int[] expectedPerAck = {1, 1, 0, 0, 1, 1, 1};
        int next = 10;
        for (int i = 0; i < expectedPerAck.length; i++) {
            h.send((30 + i) * MS, sack(L, L, 1, 4 + i));
            List<Integer> sent = drain(h);
            assertEquals(expectedPerAck[i], sent.size(), "ACK " + (i + 1) + " sent " + sent);
            if (i == 0) {
                assertEquals(segs(L, 0), sent);
            } else if (!sent.isEmpty()) {
                assertEquals(segs(L, next++), sent);
            }
        }
        h.send(40 * MS, ack(L + 10 * MSS));
        assertEquals(LossRecoveryState.Phase.OPEN, c.recoveryPhase());
        assertEquals(7300, c.cwnd(), "RFC 6937: the flight ends at ssthresh");
        List<Integer> after = drain(h);
        assertEquals(1, after.size(), "cwnd 7300 with 4 segments out: one more, not a burst: " + after);
    }

    @Test
    void aRecoveryThatEndsWithNothingInFlightLeavesCwndAtSsthreshNotOneSegment() {
        // RFC 6937 §3 (PRR ends the recovery with cwnd at ssthresh) and Linux tcp_end_cwnd_reduction: the whole
        // flight but its last segment is lost, so little is in flight when the recovery point is acknowledged.
        // RFC 6582's min(ssthresh, FlightSize + SMSS), meant for NewReno's inflated window, would set cwnd to two
        // segments here and leave the connection to regrow one segment per round trip after every such loss (the
        // 1 % loss download of issue 9: one 64 KB TSO frame was the whole flight). NewReno's ssthresh = 14600 / 2.
        TcpHarness h = new TcpHarness(newReno().build());
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(10 * MSS, 7);
        c.write(d);
        assertEquals(10, drain(h).size());
        h.send(30 * MS, sack(L, L, 9, 10)); // only the last segment arrived
        h.advanceTo(60 * MS); // the reordering timer marks 0-8 lost; PRR lets some retransmissions out
        assertEquals(LossRecoveryState.Phase.FAST_RECOVERY, c.recoveryPhase());
        assertTrue(!drain(h).isEmpty(), "retransmissions");
        h.send(70 * MS, ack(L + 10 * MSS)); // everything arrived: recovery ends with nothing in flight
        assertEquals(LossRecoveryState.Phase.OPEN, c.recoveryPhase());
        assertEquals(7300, c.cwnd(), "cwnd = ssthresh at the end of a PRR recovery");
        c.write(bytes(10 * MSS, 8));
        assertEquals(5, drain(h).size(), "the next flight is ssthresh (5 segments), not 2");
    }

    @Test
    void withoutPrrRecoverySendsNothingNewUntilTheFlightIsBelowSsthresh() {
        // The comparison (prr off), RFC 6675 §5: cwnd = ssthresh = 7300 at once (step 4.2), the first retransmission
        // goes anyway (step 4.3), then step C sends only while cwnd − pipe ≥ SMSS: pipe 8760, 7300 → nothing; from
        // 5840 on, one per ACK. PRR had already sent new data on the second ACK.
        TcpHarness h = new TcpHarness(newReno().prr(false).build());
        TcpConnection c = open(h);
        h.advanceTo(20 * MS);
        byte[] d = bytes(20 * MSS, 6);
        c.write(d);
        drain(h);
        int[] sentPerAck = new int[7];
        for (int i = 0; i < sentPerAck.length; i++) {
            h.send((30 + i) * MS, sack(L, L, 1, 4 + i));
            sentPerAck[i] = drain(h).size();
        }
        assertEquals(List.of(1, 0, 0, 1, 1, 1, 1), Arrays.stream(sentPerAck).boxed().toList());
        assertEquals(LossRecoveryState.Phase.FAST_RECOVERY, c.recoveryPhase());
    }

    // ------------------------------------------------------------------------------------------------------------
    // TLP (RFC 8985 §7) and the RTO (§6.3)
    // ------------------------------------------------------------------------------------------------------------

    @Test
    void aLostTailIsProbedAfterTwoSrttAndTwoMillisecondsWithTheLastSegment() {
        // RFC 8985 §7.2: PTO = 2·SRTT (20 ms) + 2 ms with more than one segment in flight; §7.3: no new data, so the
        // highest-sequence segment goes again; the RTO restarts from the probe
        TcpHarness h = new TcpHarness(sack().build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.advanceTo(100 * MS);
        byte[] d = bytes(3 * MSS, 10);
        c.write(d);
        assertEquals(3, drain(h).size());
        h.expectNothing(141_999_999);
        h.expect(142 * MS, data(base, d, 2, false));
        assertEquals(1, h.stack.counter(TcpCounter.TAIL_LOSS_PROBES));
        // its ACK SACKs the probe: RACK sees segments 0 and 1 lost (sent before it), one recovery, no RTO; their
        // ACK comes one round trip later (before the recovery probe's PTO, 162 + 42 ms)
        h.send(162 * MS, ack(base).addSack(base + 2 * MSS, base + 3 * MSS));
        h.advanceTo(182 * MS);
        assertEquals(segs(base, 0, 1), drain(h));
        h.send(182 * MS, ack(base + 3 * MSS));
        h.expectNothing(5000 * MS);
        assertEquals(0, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
    }

    @Test
    void aProbeThatIsReportedADuplicateEndsTheEpisodeWithoutAReduction() {
        // RFC 8985 §7.4.2: the ACKs were lost, not the data; the probe's ACK carries a D-SACK for it — no loss
        TcpHarness h = new TcpHarness(newReno().build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.advanceTo(100 * MS);
        byte[] d = bytes(3 * MSS, 11);
        c.write(d);
        drain(h);
        long cwnd = c.cwnd();
        h.expect(142 * MS, data(base, d, 2, false));
        h.send(162 * MS, ack(base + 3 * MSS).addSack(base + 2 * MSS, base + 3 * MSS));
        assertEquals(cwnd, c.cwnd());
        assertEquals(0, h.stack.counter(TcpCounter.TLP_LOSS_REPAIRS));
        assertTrue(!c.rackScoreboard().tlpPending(), "the episode ended");
    }

    @Test
    void aProbeThatRepairedASingleLossIsAnsweredWithOneReduction() {
        // RFC 8985 §7.4.2: segment 2 was lost and the probe (its copy) repaired it: the ACK covers TLP.end_seq with
        // no D-SACK, then an ACK beyond it confirms — the sender reacts to that loss once (TLP_LOSS_REPAIRS)
        TcpHarness h = new TcpHarness(newReno().build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.advanceTo(100 * MS);
        byte[] d = bytes(3 * MSS, 12);
        c.write(d);
        drain(h);
        h.expect(142 * MS, data(base, d, 2, false));
        h.send(162 * MS, ack(base + 3 * MSS));
        long cwnd = c.cwnd();
        h.advanceTo(170 * MS);
        c.write(bytes(MSS, 13));
        h.expect(170 * MS, ours(ACK | PSH, base + 3 * MSS, R, 8192).payload(bytes(MSS, 13)));
        h.send(190 * MS, ack(base + 4 * MSS));
        assertEquals(1, h.stack.counter(TcpCounter.TLP_LOSS_REPAIRS));
        assertTrue(c.cwnd() < cwnd, "reduced: " + c.cwnd() + " < " + cwnd);
        assertEquals(1, h.stack.counter(TcpCounter.LOSS_EPISODES), "one episode");
    }

    @Test
    void theProbeIsNewDataWhenThePeersWindowTakesIt() {
        // RFC 8985 §7.3: the lowest unsent segment, whatever cwnd allows (two segments here)
        TcpHarness h = new TcpHarness(sack().congestionControl(() -> new FixedWindowControl(2 * MSS)).build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.advanceTo(100 * MS);
        byte[] d = bytes(3 * MSS, 14);
        c.write(d);
        assertEquals(2, drain(h).size());
        h.expect(142 * MS, data(base, d, 2, true));
        assertEquals(0, h.stack.counter(TcpCounter.RETRANSMITTED_SEGMENTS));
        assertTrue(c.rackScoreboard().tlpPending() && !c.rackScoreboard().tlpIsRetrans());
    }

    @Test
    void theProbeCarriesTwoNewSegmentsSoAReceiverThatLostOnlyTheAckAnswersAtOnce() {
        // RFC 8985 §7.3 with RFC 5681 §4.2: when only the ACK of the tail was lost, the probe reaches the peer in
        // order; a lone segment there waits out the peer's delayed ACK (40 ms on Linux), two full-sized ones must be
        // acknowledged at once. The PTO is 2·SRTT + 2 ms = 42 ms after the last transmission.
        TcpHarness h = new TcpHarness(sack().congestionControl(() -> new FixedWindowControl(2 * MSS)).build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.advanceTo(100 * MS);
        byte[] d = bytes(5 * MSS, 15);
        c.write(d);
        assertEquals(segs(base, 0, 1), drain(h));
        h.expect(142 * MS, data(base, d, 2, false));
        h.expect(142 * MS, data(base, d, 3, false));
        h.expectNothing(150 * MS);
        assertEquals(1, h.stack.counter(TcpCounter.TAIL_LOSS_PROBES));
        assertEquals(0, h.stack.counter(TcpCounter.RETRANSMITTED_SEGMENTS));
    }

    @Test
    void aRecoveryWhoseAckClockStopsIsProbedAfterAPtoNotLeftToTheRto() {
        // TcpConnection.rackSendRecoveryProbe: segment 0 of ten is lost, 1-9 SACKed at 120 ms; RACK marks 0 lost
        // (reordering timer) and retransmits it, and that retransmission is lost too, with nothing sent after it.
        // RFC 8985 would wait for the RTO (200 ms on); a PTO (2·SRTT + 2 ms = 42 ms) after the last ACK that
        // delivered anything, one segment — SND.UNA's, nothing else being marked lost — goes again.
        TcpHarness h = new TcpHarness(sack().build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.advanceTo(100 * MS);
        byte[] d = bytes(10 * MSS, 16);
        c.write(d);
        assertEquals(10, drain(h).size());
        h.send(120 * MS, sack(base, base, 1, 10));
        h.advanceTo(140 * MS);
        assertEquals(segs(base, 0), drain(h), "RACK's retransmission of segment 0");
        assertEquals(LossRecoveryState.Phase.FAST_RECOVERY, c.recoveryPhase());
        h.expectNothing(161_999_999);
        h.expect(162 * MS, data(base, d, 0, false));
        assertEquals(1, h.stack.counter(TcpCounter.RECOVERY_PROBES));
        h.expectNothing(300 * MS); // one probe per silence: the next is the RTO's
        h.send(300 * MS, ack(base + 10 * MSS));
        assertEquals(LossRecoveryState.Phase.OPEN, c.recoveryPhase());
        assertEquals(0, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
    }

    @Test
    void aFinTailInLastAckIsLeftToTheRtoNotProbed() {
        // Regression (ChimneyTwinTest, seed 2): a probe made spurious by a queue carried our FIN again; it reached
        // the peer after the original, in TIME-WAIT, whose ACK (RFC 9293 §3.10.7.4) met our connection already
        // closed by the first one and drew an RST. With the FIN out, the tail waits for the RTO (as classic TLP).
        TcpHarness h = new TcpHarness(sack().build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.send(60 * MS, peer(FIN | ACK, R, base).window(WINDOW));
        assertEquals(TcpState.CLOSE_WAIT, c.state());
        h.advanceTo(100 * MS);
        byte[] d = bytes(3 * MSS, 17);
        c.write(d);
        c.shutdownOutput();
        assertEquals(TcpState.LAST_ACK, c.state());
        TcpHarness.Sent last = h.sent.peekLast();
        assertTrue(last != null && (last.segment().flags() & FIN) != 0, "the FIN went out: " + h.sent);
        h.sent.clear();
        // the old schedule probed at 100 + 2·20 + 2 ms; now nothing until the RTO (200 ms), which resends the head
        h.expectNothing(299_999_999);
        h.expect(300 * MS, ours(ACK, base, R + 1, 8192).payload(seg(d, 0)));
        assertEquals(0, h.stack.counter(TcpCounter.TAIL_LOSS_PROBES));
        assertEquals(1, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
        // the FIN's ACK closes the connection as usual
        h.send(320 * MS, peer(ACK, R + 1, base + 3 * MSS + 1).window(WINDOW));
        assertEquals(TcpState.CLOSED, c.state());
    }

    @Test
    void withTheFinStillQueuedTheTailIsProbed() {
        // the guard is the FIN sent, not the state: in FIN-WAIT-1 with data still unsent (the peer's window is
        // full) the peer has not seen our FIN and cannot be in TIME-WAIT, so the probe goes as usual
        TcpHarness h = new TcpHarness(sack().build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.send(60 * MS, ack(base).window(3 * MSS));
        h.advanceTo(100 * MS);
        byte[] d = bytes(4 * MSS, 18);
        c.write(d);
        c.shutdownOutput();
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        assertEquals(3, drain(h).size());
        h.expect(142 * MS, ours(ACK, base + 2 * MSS, R, 8192).payload(seg(d, 2)));
        assertEquals(1, h.stack.counter(TcpCounter.TAIL_LOSS_PROBES));
    }

    @Test
    void aLoneSegmentsProbeWaitsForTheDelayedAckButNeverPastTheRto() {
        // RFC 8985 §7.2: one segment in flight adds the peer's worst-case delayed ACK (200 ms): 40 + 200 + 2 ms is
        // past the RTO (200 ms), so the PTO is the RTO's time — and there the probe replaces the timeout
        TcpHarness h = new TcpHarness(sack().build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.advanceTo(100 * MS);
        byte[] d = bytes(MSS, 15);
        c.write(d);
        drain(h);
        h.expectNothing(299 * MS);
        h.expect(300 * MS, data(base, d, 0, false));
        assertEquals(1, h.stack.counter(TcpCounter.TAIL_LOSS_PROBES));
        assertEquals(0, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
        // unanswered, the probe is followed by the RTO 200 ms later: the last resort
        h.expect(500 * MS, data(base, d, 0, false));
        assertEquals(1, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
    }

    @Test
    void theRtoResendsWhatIsLostButNotWhatThePeerSacked() {
        // RFC 8985 §6.3: the first unacknowledged segment is lost, and every segment out for RACK.rtt + reo_wnd; the
        // first goes at once (RFC 6298 §5.4), the others as the loss window grows. Segment 3 was SACKed: it is not
        // sent again (RFC 6675 mode would clear the scoreboard and go back over it).
        TcpHarness h = new TcpHarness(newReno().build());
        TcpConnection c = measured(h);
        int base = L + MSS;
        h.advanceTo(100 * MS);
        byte[] d = bytes(4 * MSS, 16);
        c.write(d);
        drain(h);
        // segment 3 SACKed: 0-2 are lost 20 ms + reo_wnd (min RTT 20 ms / 4 = 5 ms) after they were sent
        h.send(120 * MS, sack(base, base, 3, 4));
        h.advanceTo(125 * MS);
        assertEquals(segs(base, 0), drain(h), "PRR-SSRB on the timer: one segment");
        // nothing more arrives: a PTO (42 ms) after that retransmission the recovery probe sends the first segment
        // still marked lost, and the RTO, restarted by the probe, fires 200 ms after it
        h.expect(167 * MS, data(base, d, 1, false));
        assertEquals(1, h.stack.counter(TcpCounter.RECOVERY_PROBES));
        h.expect(367 * MS, data(base, d, 0, false));
        assertEquals(LossRecoveryState.Phase.RTO_RECOVERY, c.recoveryPhase());
        h.send(377 * MS, sack(base + MSS, base, 3, 4));
        assertEquals(segs(base, 1, 2), drain(h), "slow start: two, and not segment 3");
        h.send(387 * MS, ack(base + 4 * MSS));
        assertEquals(LossRecoveryState.Phase.OPEN, c.recoveryPhase());
        assertEquals(1, h.stack.counter(TcpCounter.RTO_EXPIRATIONS));
        assertEquals(1, h.stack.counter(TcpCounter.LOSS_EPISODES));
    }
}
