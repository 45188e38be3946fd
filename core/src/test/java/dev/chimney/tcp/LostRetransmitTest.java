package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
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
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lost retransmission detection (TcpConfig.lostRetransmitDetection) of the RFC 6675 recovery kept for comparison
 * ({@link TcpConfig.LossDetection#RFC6675}): the fast retransmission of SND.UNA is lost, the peer goes on SACKing
 * segments sent after it, and the sender resends SND.UNA at once instead of after the RTO. Packet-in/packet-out on a
 * virtual clock. (RACK-TLP, the default, finds lost retransmissions by itself: RackTlpTest.)
 */
class LostRetransmitTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;
    static final int MSS = 1460;
    static final int WINDOW = 60_000;

    /** Sequence numbers of the data segments sent since the last call. */
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

    static TcpSegment sackAck(int left, int right) {
        return peer(ACK, R, L).window(WINDOW).addSack(left, right);
    }

    /** Runs the script; returns when SND.UNA was sent again after its lost retransmission (ms), or -1. */
    static long script(boolean detection) {
        TcpHarness h = new TcpHarness(TcpHarness.plain().sack(true)
                .lossDetection(TcpConfig.LossDetection.RFC6675).lostRetransmitDetection(detection).build());
        h.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(MSS).sackPermitted(true));
        h.expect(0, ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(MSS).sackPermitted(true));
        h.send(1 * MS, peer(ACK, R, L).window(WINDOW));
        TcpConnection c = h.accepted.getFirst();
        h.advanceTo(20 * MS);
        c.write(bytes(20 * MSS, 1));
        h.advanceTo(20 * MS);
        assertEquals(20, drain(h).size(), "the first flight: 20 segments");
        // Segment 0 is lost: three duplicate ACKs SACK segments 1..3 → fast retransmit of SND.UNA.
        h.send(30 * MS, sackAck(L + MSS, L + 2 * MSS));
        h.send(31 * MS, sackAck(L + MSS, L + 3 * MSS));
        h.send(32 * MS, sackAck(L + MSS, L + 4 * MSS));
        assertTrue(drain(h).contains(L), "fast retransmit of SND.UNA");
        // More data goes out after the retransmission...
        h.advanceTo(33 * MS);
        c.write(bytes(10 * MSS, 2));
        h.advanceTo(33 * MS);
        List<Integer> newer = drain(h);
        assertTrue(newer.contains(L + 20 * MSS), "new data after the retransmission: " + newer);
        // ...and arrives (SACKed up to 4 segments beyond the retransmission) while SND.UNA is still missing.
        h.send(34 * MS, sackAck(L + MSS, L + 24 * MSS));
        if (drain(h).contains(L)) {
            assertEquals(1, h.stack.counter(TcpCounter.LOST_RETRANSMITS));
            return 34;
        }
        assertEquals(0, h.stack.counter(TcpCounter.LOST_RETRANSMITS));
        return -1;
    }

    @Test
    void aLostFastRetransmissionIsSentAgainWhenLaterSegmentsAreSacked() {
        assertEquals(34, script(true), "SND.UNA resent as soon as newer segments were SACKed");
    }

    @Test
    void withoutDetectionOnlyTheRtoWouldRepairIt() {
        assertEquals(-1, script(false), "RFC 6675 alone retransmits a hole once");
    }
}
