package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.tcp.SackScoreboard.Rule;
import org.junit.jupiter.api.Test;

/** RFC 6675 scoreboard: Update(), IsLost(), SetPipe(), NextSeg() and the §5 recovery steps, rule by rule. */
class SackScoreboardTest {

    private static final int MSS = 100;
    /** Close to the wrap so every test also crosses 2^32. */
    private static final int ISS = 0xFFFF_FF00;

    /** A scoreboard with {@code segments} full segments outstanding from ISS. */
    private static SackScoreboard sent(final int segments) {
        final SackScoreboard sb = new SackScoreboard();
        sb.reset(ISS, ISS, MSS);
        for (int i = 0; i < segments; i++) {
            sb.onTransmit(ISS + i * MSS, MSS);
        }
        return sb;
    }

    private static int seg(final int n) {
        return ISS + n * MSS;
    }

    /** SACK blocks covering segments [from, to) each. */
    private static int[] blocks(final int... segmentPairs) {
        final int[] edges = new int[segmentPairs.length];
        for (int i = 0; i < segmentPairs.length; i++) {
            edges[i] = seg(segmentPairs[i]);
        }
        return edges;
    }

    @Test
    void updateMergesBlocksAndTrimsAtTheCumulativeAck() {
        final SackScoreboard sb = sent(10);
        assertEquals(10 * MSS, sb.flightSize());
        sb.update(seg(0), blocks(2, 3, 5, 6), 2);
        assertEquals(2, sb.rangeCount());
        assertEquals(2 * MSS, sb.sackedBytes());
        assertEquals(2 * MSS, sb.lastNewlySackedBytes());
        // A block bridging both ranges and the hole merges them into one.
        sb.update(seg(0), blocks(2, 6), 1);
        assertEquals(1, sb.rangeCount());
        assertEquals(seg(2), sb.rangeStart(0));
        assertEquals(seg(6), sb.rangeEnd(0));
        assertEquals(2 * MSS, sb.lastNewlySackedBytes(), "only segments 3 and 4 were new");
        // Adjacent ranges coalesce.
        sb.update(seg(0), blocks(6, 7), 1);
        assertEquals(1, sb.rangeCount());
        assertEquals(seg(7), sb.rangeEnd(0));
        // The cumulative ACK moving into the range trims it (and SND.UNA wraps past zero here).
        sb.update(seg(3) + 50, null, 0);
        assertEquals(3 * MSS + 50, sb.lastAckedBytes());
        assertEquals(seg(3) + 50, sb.rangeStart(0));
        assertEquals(3 * MSS + 50, sb.sackedBytes());
        sb.update(seg(8), null, 0);
        assertEquals(0, sb.rangeCount());
        assertEquals(0, sb.sackedBytes());
    }

    @Test
    void invalidAndDuplicateBlocksAreIgnoredAndCounted() {
        final SackScoreboard sb = sent(10);
        sb.update(seg(2), null, 0);
        // RFC 2883 §4: a first block below the cumulative ACK is a D-SACK, not an error.
        sb.update(seg(2), blocks(0, 1, 4, 5), 2);
        assertTrue(sb.lastHadDsack());
        assertEquals(0, sb.lastRejectedBlocks());
        assertEquals(1, sb.rangeCount());
        // A first block inside the second one is a D-SACK too.
        sb.update(seg(2), blocks(6, 7, 5, 8), 2);
        assertTrue(sb.lastHadDsack());
        assertEquals(seg(8), sb.rangeEnd(0));
        // Inverted, empty and beyond-HighData blocks are invalid.
        sb.update(seg(2), new int[] {seg(9), seg(8), seg(3), seg(3), seg(9), seg(11)}, 3);
        assertFalse(sb.lastHadDsack());
        assertEquals(3, sb.lastRejectedBlocks());
        assertEquals(0, sb.lastNewlySackedBytes());
        assertEquals(3, sb.rejectedBlocksTotal());
        // An ACK for data never sent is refused whole (RFC 9293 §3.10.7.4 would have dropped it).
        sb.update(seg(11), blocks(8, 9), 1);
        assertTrue(sb.lastAckRejected());
        assertEquals(seg(2), sb.highAck());
        assertEquals(seg(8), sb.highestSackedEnd());
        assertThrows(IllegalArgumentException.class, () -> sb.update(seg(2), new int[2], 2));
    }

    @Test
    void isLostCountsDiscontiguousRangesOrBytesAbove() {
        // RFC 6675 §4 IsLost: DupThresh (3) SACKed ranges above, or more than 2 * SMSS SACKed octets above.
        final SackScoreboard sb = sent(12);
        sb.update(seg(0), blocks(2, 3, 4, 5), 2);
        assertFalse(sb.isLost(seg(0)), "two ranges and exactly 2*SMSS above: not yet lost");
        sb.update(seg(0), blocks(6, 7), 1);
        assertTrue(sb.isLost(seg(0)), "three discontiguous ranges above");
        assertTrue(sb.isLost(seg(1) + 99));
        assertFalse(sb.isLost(seg(3)), "two ranges (200 octets) above the hole at segment 3");
        assertFalse(sb.isLost(seg(2)), "a SACKed octet is not lost");
        assertFalse(sb.isLost(seg(12)), "beyond HighData");
        final SackScoreboard bytes = sent(12);
        bytes.update(seg(0), blocks(1, 3), 1);
        assertFalse(bytes.isLost(seg(0)), "exactly 2*SMSS above");
        bytes.update(seg(0), new int[] {seg(3), seg(3) + 1}, 1);
        assertTrue(bytes.isLost(seg(0)), "2*SMSS + 1 octets above");
    }

    @Test
    void setPipeCountsUnlostOutstandingAndRetransmittedOctets() {
        final SackScoreboard sb = sent(10);
        assertEquals(10 * MSS, sb.pipe(), "nothing SACKed: everything outstanding is in the network");
        sb.update(seg(0), blocks(1, 2, 3, 4, 5, 6), 3);
        // Segments 1, 3, 5 SACKed; 0 is lost (3 ranges above), 2 and 4 not (fewer above), 6..9 not.
        assertEquals(6 * MSS, sb.pipe());
        assertTrue(sb.shouldEnterRecovery(), "IsLost(HighACK + 1) triggers recovery even before 3 dup ACKs");
        assertEquals(MSS, sb.enterRecovery());
        sb.onTransmit(sb.nextSegStart(), sb.nextSegLength(), Rule.FAST_RETRANSMIT);
        assertEquals(seg(1), sb.highRxt());
        assertEquals(seg(1), sb.rescueRxt());
        assertEquals(7 * MSS, sb.pipe(), "the lost segment's retransmission is in the network once");
    }

    @Test
    void recoveryWalkThroughFollowsRfc6675Section5() {
        final SackScoreboard sb = sent(10);
        // Segment 0 lost; three ACKs each SACK one more segment: RFC 6675 §2 duplicate ACKs.
        sb.update(seg(0), blocks(1, 2), 1);
        sb.update(seg(0), blocks(1, 3), 1);
        assertEquals(2, sb.dupAcks());
        assertFalse(sb.shouldEnterRecovery());
        sb.update(seg(0), blocks(1, 4), 1);
        assertEquals(3, sb.dupAcks());
        assertTrue(sb.shouldEnterRecovery(), "§5 step 2: DupAcks >= DupThresh");
        // Steps 4.1-4.4.
        final int first = sb.enterRecovery();
        assertEquals(seg(10), sb.recoveryPoint());
        assertEquals(seg(0), sb.nextSegStart());
        assertEquals(MSS, first);
        sb.onTransmit(seg(0), first, Rule.FAST_RETRANSMIT);
        assertTrue(sb.inRecovery());
        // Pipe: segment 0 retransmitted (lost, counted once) + segments 4..9 = 7 segments.
        assertEquals(7 * MSS, sb.pipe());
        // Step C: with cwnd = 8 segments there is room for one more; no lost octet above HighRxt, so rule 2 sends
        // new data.
        assertEquals(Rule.NEW_DATA, sb.nextSeg(5 * MSS));
        assertEquals(seg(10), sb.nextSegStart());
        sb.onTransmit(sb.nextSegStart(), sb.nextSegLength(), Rule.NEW_DATA);
        assertEquals(seg(11), sb.highData());
        assertEquals(8 * MSS, sb.pipe());
        // Without new data allowed, rule 3 offers unSACKed octets above HighRxt below the highest SACK: none here
        // (segments 1-3 SACKed), and the rescue needs HighACK > RescueRxt: nothing.
        assertEquals(Rule.NONE, sb.nextSeg(0));
        // A partial ACK (step B) up to segment 4 leaves recovery running; DupAcks stays frozen in recovery.
        sb.update(seg(4), blocks(5, 6), 1);
        assertTrue(sb.inRecovery());
        assertEquals(MSS, sb.lastNewlySackedBytes());
        assertEquals(0, sb.dupAcks());
        // HighRxt is now below HighACK; segment 4 is unSACKed below the highest SACK but not deemed lost: rule 3.
        assertEquals(Rule.UNSACKED, sb.nextSeg(0));
        assertEquals(seg(4), sb.nextSegStart());
        sb.onTransmit(seg(4), MSS, Rule.UNSACKED);
        assertEquals(seg(5), sb.highRxt());
        // Nothing is left below the highest SACK, and HighACK > RescueRxt: rule 4 offers one rescue segment
        // ending at the highest unSACKed outstanding octet.
        assertEquals(Rule.RESCUE, sb.nextSeg(0));
        assertEquals(seg(10), sb.nextSegStart());
        assertEquals(MSS, sb.nextSegLength());
        final int highRxtBefore = sb.highRxt();
        sb.onTransmit(sb.nextSegStart(), sb.nextSegLength(), Rule.RESCUE);
        assertEquals(highRxtBefore, sb.highRxt(), "rule 4 must not update HighRxt (§5 step C.2)");
        assertEquals(seg(10), sb.rescueRxt(), "RescueRxt = RecoveryPoint");
        assertEquals(Rule.NONE, sb.nextSeg(0), "one rescue per recovery");
        // Step A: a cumulative ACK covering RecoveryPoint ends recovery; SACK information above is kept.
        sb.update(seg(10), null, 0);
        assertTrue(sb.lastAckEndedRecovery());
        assertFalse(sb.inRecovery());
        assertEquals(MSS, sb.flightSize());
    }

    @Test
    void nextSegPrefersLostOctetsThenNewDataThenUnsackedOctets() {
        final SackScoreboard sb = sent(20);
        // Holes at 0, 2, 4, 6; ranges 1, 3, 5, 7..9. Holes 0, 2, 4 have >= 3 ranges or > 2 segments above.
        sb.update(seg(0), blocks(1, 2, 3, 4, 5, 6, 7, 10), 4);
        sb.enterRecovery();
        sb.onTransmit(seg(0), MSS, Rule.FAST_RETRANSMIT);
        // Rule 1: the lowest lost octet above HighRxt is segment 2.
        assertEquals(Rule.LOST, sb.nextSeg(MSS));
        assertEquals(seg(2), sb.nextSegStart());
        assertEquals(MSS, sb.nextSegLength(), "never beyond the hole: segment 3 is SACKed");
        sb.onTransmit(seg(2), MSS, Rule.LOST);
        sb.onTransmit(seg(4), MSS, Rule.LOST);
        // Hole 6 has two ranges (5, 7..9) and 4 segments above: lost too.
        assertTrue(sb.isLost(seg(6)));
        sb.onTransmit(seg(6), MSS, Rule.LOST);
        // No lost octet above HighRxt remains: new data (rule 2) if allowed...
        assertEquals(Rule.NEW_DATA, sb.nextSeg(30));
        assertEquals(30, sb.nextSegLength(), "limited by the new data allowed");
        // ... else rule 3 finds nothing (all holes below the highest SACK were retransmitted) and the rescue
        // waits for HighACK to pass RescueRxt.
        assertEquals(Rule.NONE, sb.nextSeg(0));
        final SackScoreboard three = sent(20);
        three.update(seg(0), blocks(5, 6), 1);
        three.countDuplicateAck();
        three.countDuplicateAck();
        assertTrue(three.shouldEnterRecovery());
        three.enterRecovery();
        three.onTransmit(seg(0), MSS, Rule.FAST_RETRANSMIT);
        // Segments 1..4 are not deemed lost (one range above) but are unSACKed below the highest SACK: rule 3.
        assertEquals(Rule.UNSACKED, three.nextSeg(0));
        assertEquals(seg(1), three.nextSegStart());
        three.onTransmit(seg(1), MSS, Rule.UNSACKED);
        assertEquals(seg(2), three.highRxt());
    }

    @Test
    void fullScoreboardForgetsTheHighestRange() {
        final SackScoreboard sb = new SackScoreboard(2);
        sb.reset(ISS, ISS + 20 * MSS, MSS);
        sb.update(seg(0), blocks(8, 9, 4, 5, 2, 3), 3);
        assertEquals(2, sb.rangeCount());
        assertEquals(seg(2), sb.rangeStart(0));
        assertEquals(seg(4), sb.rangeStart(1));
        assertEquals(1, sb.droppedRangesTotal());
        assertEquals(2 * MSS, sb.sackedBytes());
        sb.update(seg(0), blocks(1, 2), 1);
        assertEquals(2, sb.rangeCount(), "segment 1 merges with the range at 2");
        assertEquals(seg(1), sb.rangeStart(0));
    }

    @Test
    void retransmissionTimeoutClearsTheScoreboardAndBlocksRecoveryUntilRecoveryPoint() {
        final SackScoreboard sb = sent(10);
        sb.update(seg(0), blocks(1, 2, 3, 4, 5, 6), 3);
        sb.enterRecovery();
        sb.onTransmit(seg(0), MSS, Rule.FAST_RETRANSMIT);
        sb.onRetransmitTimeout();
        assertFalse(sb.inRecovery());
        assertEquals(0, sb.rangeCount(), "RFC 2018 §8: SACK information is cleared after an RTO");
        assertEquals(seg(10), sb.recoveryPoint());
        // Lots of new SACK information, but §5.1 forbids a new recovery before HighACK reaches RecoveryPoint.
        sb.update(seg(1), blocks(2, 3, 4, 5, 6, 7), 3);
        assertTrue(sb.isLost(seg(1)));
        assertFalse(sb.shouldEnterRecovery());
        sb.update(seg(10), null, 0);
        sb.onTransmit(seg(10), 5 * MSS);
        sb.update(seg(10), blocks(11, 12, 13, 14), 2);
        sb.countDuplicateAck();
        assertFalse(sb.shouldEnterRecovery(), "two duplicate ACKs, two ranges, 2*SMSS above: not yet");
        sb.countDuplicateAck();
        assertTrue(sb.shouldEnterRecovery());
    }

    @Test
    void misuseIsReportedWithGuidance() {
        final SackScoreboard sb = sent(2);
        assertThrows(IllegalArgumentException.class, () -> sb.onTransmit(seg(5), MSS));
        assertThrows(IllegalArgumentException.class, () -> sb.onTransmit(seg(0), 0));
        assertThrows(IllegalArgumentException.class, () -> sb.reset(seg(1), seg(0), MSS));
        assertThrows(IllegalArgumentException.class, () -> new SackScoreboard(0));
        final SackScoreboard idle = new SackScoreboard();
        idle.reset(ISS, ISS, MSS);
        final IllegalStateException e = assertThrows(IllegalStateException.class, idle::enterRecovery);
        assertTrue(e.getMessage().contains("nothing outstanding"), e.getMessage());
    }
}
