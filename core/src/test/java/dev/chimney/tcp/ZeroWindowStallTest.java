package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.PSH;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.ours;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Packet scripts of issue 9's stall: two ends whose send buffers are full and whose receive windows are zero
 * deadlocked because one of them probed with a byte beyond the other's zero window and then sent every ACK with that
 * byte's sequence number, which the other dropped unread. Both halves are fixed and scripted here: the receiver takes
 * the ACK (and window) of a segment that is unacceptable only because of the window (RFC 9293 §3.10.7.4 "special
 * allowance ... to accept valid ACKs, URGs, and RSTs"), and the sender never sends an ACK whose sequence number lies
 * beyond the peer's window (as Linux's tcp_acceptable_seq does).
 */
class ZeroWindowStallTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    /** The peer fills our 8 KiB receive window at t = 20 ms and advertises {@code peerWindow}; nobody reads. */
    static void fillOurWindow(TcpHarness h, TcpConnection c, int peerWindow) {
        byte[] in = bytes(8192, 9);
        for (int off = 0; off < in.length; off += 1460) {
            int len = Math.min(1460, in.length - off);
            h.send(20 * MS, peer(ACK, R + off, L).payload(slice(in, off, off + len)).window(peerWindow));
        }
        h.advanceTo(100 * MS);
        assertEquals(0, c.rcvWnd(), "our receive window is closed: " + c);
        h.sent.clear();
    }

    @Test
    void issue9DeadlockStateZeroWindowReceiverTakesTheAckBeyondItsWindow() {
        // The issue's server: RCV.WND = 0, send buffer full, 7,300 bytes unacknowledged, its RTO backing off. The
        // peer has all of it (RCV.NXT = our SND.MAX) and sits in a zero-window probe with SND.NXT = SND.UNA + 1, so
        // its ACK carries SEG.SEQ = RCV.NXT + 1. Before the fix that ACK was dropped unread
        // (DROP_UNACCEPTABLE_SEQ) on every try until both ends timed out.
        TcpHarness h = new TcpHarness(TcpHarness.plain().sendBufferBytes(8192).build());
        TcpConnection c = h.establishedPassive();
        fillOurWindow(h, c, 7300);
        byte[] out = bytes(8192, 3);
        assertEquals(8192, c.write(out));
        for (int off = 0; off < 7300; off += 1460) {
            h.expect(100 * MS, ours(ACK, L + off, R + 8192, 0).payload(slice(out, off, off + 1460)));
        }
        assertEquals(0, c.writableBytes(), "send buffer full");
        // the RTO (1 s: no RTT sample yet) goes back to SND.UNA; the fixed test window resends the whole flight
        for (int off = 0; off < 7300; off += 1460) {
            h.expect(1100 * MS, ours(ACK, L + off, R + 8192, 0).payload(slice(out, off, off + 1460)));
        }
        // every ACK of the prober: SEG.SEQ = RCV.NXT + 1, acknowledging all we sent, window 7300
        h.send(1200 * MS, peer(ACK, R + 8193, L + 7300).window(7300));
        assertEquals(892, c.unacknowledgedBytes(), "the ACK was processed: SND.UNA advanced " + c);
        // and its window update too: the rest goes out at once, in the peer's reopened window
        h.expect(1200 * MS, ours(ACK | PSH, L + 7300, R + 8192, 0).payload(slice(out, 7300, 8192)));
        assertTrue(c.writableBytes() > 0, "the application can write again");
        assertEquals(1, h.stack.counter(TcpCounter.OUT_OF_WINDOW_ACKS));
    }

    @Test
    void issue9DeadlockStateProberKeepsItsAcksInsideThePeersZeroWindow() {
        // The issue's client: the peer's window closed (ACK of part of the flight, window 0) with our data in flight
        // beyond it, so we probe. Every pure ACK we send while probing must carry SEG.SEQ = the peer's RCV.NXT
        // (= our SND.UNA), the only sequence number a zero window accepts (RFC 9293 §3.10.7.4); before the fix it
        // carried SND.MAX, one flight (or one probe byte) beyond, and a strict peer dropped it unread.
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        byte[] out = bytes(3000, 1);
        c.write(out);
        h.expect(20 * MS, ours(ACK, L, R, 8192).payload(slice(out, 0, 1460)));
        h.expect(20 * MS, ours(ACK, L + 1460, R, 8192).payload(slice(out, 1460, 2920)));
        h.send(30 * MS, peer(ACK, R, L + 1460).window(0));
        // the peer keeps sending us data while its own window stays closed; we acknowledge it
        byte[] in = bytes(6000, 2);
        long t = 40 * MS;
        for (int off = 0; off < in.length; off += 1000) {
            h.send(t, peer(ACK | PSH, R + off, L + 1460).payload(slice(in, off, off + 1000)).window(0));
            t += 700 * MS;
        }
        h.advanceTo(t);
        int acks = 0;
        int probes = 0;
        for (TcpHarness.Sent s : h.sent) {
            TcpSegment seg = s.segment();
            assertEquals(L + 1460, seg.seq(), "at " + s.timeNs() / MS + " ms: " + seg
                    + " lies beyond the peer's zero window (its RCV.NXT = " + (L + 1460) + ")");
            if (seg.payloadLength() == 0) {
                acks++;
            } else {
                assertEquals(1, seg.payloadLength(), "a window probe carries one octet: " + seg);
                probes++;
            }
        }
        assertTrue(acks >= 6 && probes >= 2, "acks=" + acks + " probes=" + probes + " " + h.sent);
        h.sent.clear();
        // the window opens: the data beyond it is sent again, from SND.UNA
        h.send(t, peer(ACK, R + 6000, L + 1460).window(8192));
        h.expect(t, ours(ACK, L + 1460, R + 6000, 2192).payload(slice(out, 1460, 2920)));
        assertEquals(TcpState.ESTABLISHED, c.state());
    }
}
