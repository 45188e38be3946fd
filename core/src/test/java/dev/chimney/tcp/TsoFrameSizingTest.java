package dev.chimney.tcp;

import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How the engine sizes TSO super-segments (TcpConnection.TSO_FRAMES_PER_WINDOW), as packet scripts against an
 * output that claims segmentation offload: a window is never sent as one frame while it is small — a frame that is
 * the whole flight turns one lost frame into a lost flight that RACK cannot see (nothing later is SACKed) and one
 * lost ACK into a stall until a timer fires (issue 9, the 1 % loss download) — and frames are full-sized once the
 * window holds two of them.
 */
class TsoFrameSizingTest {
    static final int MSS = RackTlpTest.MSS;

    /** Payload lengths of the data segments (super-segments counted whole) sent since the last call. */
    static List<Integer> frames(TcpHarness h) {
        List<Integer> lengths = new ArrayList<>();
        TcpHarness.Sent s;
        while ((s = h.sent.poll()) != null) {
            if (s.segment().payloadLength() > 0) {
                lengths.add(s.segment().payloadLength());
            }
        }
        return lengths;
    }

    static TcpHarness harness(long cwndBytes, int tsoBytes) {
        TcpConfig config = RackTlpTest.sack().congestionControl(() -> new FixedWindowControl(cwndBytes)).build();
        return new TcpHarness(config, 0, tsoBytes);
    }

    @Test
    void aWindowOfTwentySegmentsGoesOutAsTwoFramesNotOne() {
        TcpHarness h = harness(20L * MSS, 64_000);
        TcpConnection c = RackTlpTest.open(h);
        h.advanceTo(20 * MS);
        c.write(bytes(20 * MSS, 1));
        assertEquals(List.of(10 * MSS, 10 * MSS), frames(h));
    }

    @Test
    void framesAreFullSizedOnceTheWindowHoldsTwoOfThem() {
        // cwnd 65536 and the peer's 60000: half of the window is 20 segments, more than the offload's 8
        TcpHarness h = harness(65_536, 8 * MSS);
        TcpConnection c = RackTlpTest.open(h);
        h.advanceTo(20 * MS);
        c.write(bytes(16 * MSS, 2));
        assertEquals(List.of(8 * MSS, 8 * MSS), frames(h));
    }

    @Test
    void aTinyWindowStillUsesTwoSegmentFrames() {
        // half of three segments is less than two: frames of two segments, so TSO still halves the sends
        TcpHarness h = harness(3L * MSS, 64_000);
        TcpConnection c = RackTlpTest.open(h);
        h.advanceTo(20 * MS);
        c.write(bytes(3 * MSS, 3));
        assertEquals(List.of(2 * MSS, MSS), frames(h));
    }

    @Test
    void thePeersWindowCountsAsMuchAsCwnd() {
        // cwnd is large, the peer offers 60000: frames of at most half of that, whole segments (20 of 1460); the
        // 1600 bytes of window left are less than a segment to send with data outstanding (RFC 1122 §4.2.3.4)
        TcpHarness h = harness(1L << 20, 64_000);
        TcpConnection c = RackTlpTest.open(h);
        h.advanceTo(20 * MS);
        c.write(bytes(40 * MSS, 4));
        List<Integer> sent = frames(h);
        assertEquals(List.of(20 * MSS, 20 * MSS), sent);
    }

    @Test
    void aLostSuperSegmentIsRetransmittedAsOneSuperSegment() {
        // RFC 8985 marks the whole lost frame lost at once; its ten segments go out again as one frame (one
        // write, one ACK back), not ten, as far as PRR allows (here all of it: SSRB, delivered 10 + 1 segments)
        TcpHarness h = harness(20L * MSS, 64_000);
        TcpConnection c = RackTlpTest.measured(h);
        int base = RackTlpTest.L + MSS;
        h.advanceTo(100 * TcpHarness.MS);
        c.write(bytes(20 * MSS, 5));
        assertEquals(List.of(10 * MSS, 10 * MSS), frames(h));
        h.send(120 * TcpHarness.MS, RackTlpTest.sack(base, base, 10, 20)); // the second frame arrived, the first not
        h.advanceTo(160 * TcpHarness.MS);
        List<TcpHarness.Sent> sent = new ArrayList<>(h.sent);
        assertEquals(1, sent.size(), "one retransmission: " + sent);
        assertEquals(base, sent.getFirst().segment().seq());
        assertEquals(10 * MSS, sent.getFirst().segment().payloadLength());
    }
}
