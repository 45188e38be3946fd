package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.FIN;
import static dev.chimney.tcp.TcpFlags.PSH;
import static dev.chimney.tcp.TcpFlags.RST;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.ours;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    // -------------------------------------------------------- relatives: FIN, RST and window updates at RCV.WND = 0

    @Test
    void bareFinAtAZeroWindowIsTaken() {
        // A FIN needs no buffer space: at RCV.NXT with no new data it is taken even though RCV.WND = 0 (Linux does
        // the same), so a peer whose only pending octet is its FIN is not left probing until we read.
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        fillOurWindow(h, c, 8192);
        h.send(200 * MS, peer(ACK | FIN, R + 8192, L));
        h.expect(200 * MS, ours(ACK, L, R + 8193, 0));
        assertEquals(TcpState.CLOSE_WAIT, c.state());
        byte[] got = new byte[9000];
        assertEquals(8192, c.read(got, 0, got.length));
        assertEquals(-1, c.read(got, 0, got.length), "end of stream after the 8192 bytes");
        assertArrayEquals(bytes(8192, 9), Arrays.copyOf(got, 8192));
    }

    @Test
    void finAfterDataThatDoesNotFitAZeroWindowWaits() {
        // RFC 9293 §3.10.7.4: the FIN comes after text that did not fit; both are dropped (and the ACK answers)
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        fillOurWindow(h, c, 8192);
        h.send(200 * MS, peer(ACK | FIN, R + 8192, L).payload(bytes(100, 1)));
        h.expect(200 * MS, ours(ACK, L, R + 8192, 0));
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void rstAtAZeroWindowIsJudgedBySequenceNumberAlone() {
        // RFC 5961 §3.2: reset iff SEG.SEQ = RCV.NXT. At a zero window that is the only acceptable number; an RST one
        // beyond it is outside the window and dropped silently; an RST at RCV.NXT that carries text (RFC 9293
        // §3.5.3 allows diagnostic text) still resets — the text must not make it "unacceptable".
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        fillOurWindow(h, c, 8192);
        h.send(200 * MS, peer(RST, R + 8193, 0));
        h.expectNothing(300 * MS);
        assertEquals(TcpState.ESTABLISHED, c.state());
        h.send(400 * MS, peer(RST | ACK, R + 8192, L).payload("bye".getBytes()));
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.RESET), h.closed);
    }

    @Test
    void aWindowUpdateBeyondOurZeroWindowOpensSending() {
        // both windows closed: the peer's window update (at RCV.NXT + 1, as a peer that counts its probe octet as
        // sent numbers it) is taken and our persist ends at once, although our own window stays 0
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        fillOurWindow(h, c, 0);
        byte[] out = bytes(500, 4);
        c.write(out);
        h.expect(1100 * MS, ours(ACK, L, R + 8192, 0).payload(slice(out, 0, 1))); // persist probe (RTO = 1 s)
        h.send(1150 * MS, peer(ACK, R + 8193, L).window(8192));
        h.expect(1150 * MS, ours(ACK | PSH, L, R + 8192, 0).payload(out));
        assertEquals(0, h.stack.counter(TcpCounter.DROP_BAD_ACK));
    }

    @Test
    void aWindowCarriedByARetransmissionIsTaken() {
        // The peer retransmits old data (SEG.SEQ < SND.WL1) carrying an ACK of everything we sent and a zero window.
        // RFC 9293's SND.WL1 test alone would ignore that window and keep SND.UNA + SND.WND beyond the peer's real
        // right edge, so we would send into a window it has closed; an ACK that advances SND.UNA carries the peer's
        // current window (as Linux's tcp_may_update_window takes it).
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        byte[] in = bytes(3000, 5);
        h.send(15 * MS, peer(ACK, R, L).payload(slice(in, 0, 1000)));
        h.send(16 * MS, peer(ACK, R + 1000, L).payload(slice(in, 1000, 2000)));
        h.advanceTo(20 * MS);
        byte[] out = bytes(4000, 6);
        c.write(out);
        h.advanceTo(25 * MS);
        h.sent.clear();
        // repacketized retransmission [500, 3000): acceptable (new text at its end), SEG.SEQ behind SND.WL1
        h.send(30 * MS, peer(ACK, R + 500, L + 2920).payload(slice(in, 500, 3000)).window(0));
        assertEquals(0, c.sndWnd(), "the zero window of the retransmission was taken: " + c);
        c.write(bytes(3000, 7));
        h.advanceTo(31 * MS);
        for (TcpHarness.Sent s : h.sent) {
            assertEquals(0, s.segment().payloadLength(), "nothing may be sent into the closed window: " + h.sent);
        }
    }

    // ------------------------------------------------------------------ relatives: probes crossing a window opening

    @Test
    void ourProbeCrossesThePeersWindowOpening() {
        // The peer opens its window (update: ACK = E, window 8192) while our probe octet at E is on the way; it
        // takes the probe (ACK = E + 1) after its update. We resend from E (the peer discards the duplicate octet),
        // the later ACK of E + 1 is an ordinary partial ACK, and nothing is lost or doubled.
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).window(0));
        h.advanceTo(30 * MS);
        byte[] out = bytes(1000, 8);
        c.write(out);
        h.expect(1030 * MS, ours(ACK, L, R, 8192).payload(slice(out, 0, 1)));
        h.send(1031 * MS, peer(ACK, R, L).window(8192));
        h.expect(1031 * MS, ours(ACK | PSH, L, R, 8192).payload(out));
        h.send(1032 * MS, peer(ACK, R, L + 1).window(8191));
        h.send(1040 * MS, peer(ACK, R, L + 1000).window(8192));
        h.expectNothing(5000 * MS);
        assertEquals(0, c.unacknowledgedBytes());
        // the segment that resent the probe octet counts as one retransmitted segment; nothing else was resent
        assertEquals(1, h.stack.counter(TcpCounter.RETRANSMITTED_SEGMENTS));
        assertEquals(0, h.stack.counter(TcpCounter.RTO_EXPIRATIONS) + h.stack.counter(TcpCounter.FAST_RETRANSMITS),
                "the crossing is not mistaken for loss");
    }

    @Test
    void theProbesAnswerArrivesBeforeTheStaleWindowUpdate() {
        // the other order: the probe's ACK (E + 1, window 8191) first, then the peer's earlier update (ACK = E,
        // window 8192), now stale — it must not move SND.UNA back or widen the window past the peer's real edge
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).window(0));
        h.advanceTo(30 * MS);
        byte[] out = bytes(1000, 8);
        c.write(out);
        h.expect(1030 * MS, ours(ACK, L, R, 8192).payload(slice(out, 0, 1)));
        h.send(1031 * MS, peer(ACK, R, L + 1).window(8191));
        h.expect(1031 * MS, ours(ACK | PSH, L + 1, R, 8192).payload(slice(out, 1, 1000)));
        h.send(1032 * MS, peer(ACK, R, L).window(8192));
        assertEquals(L + 1, c.sndUna());
        assertEquals(8191, c.sndWnd(), "the stale update (SEG.ACK < SND.UNA) is not taken");
        h.send(1040 * MS, peer(ACK, R, L + 1000).window(8192));
        assertEquals(0, c.unacknowledgedBytes());
    }

    @Test
    void thePeersProbeCrossesOurWindowOpening() {
        // our window was 0 and the application read; the peer's probe octet, sent before our update reached it,
        // now falls inside the window and is taken like any data
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        fillOurWindow(h, c, 8192);
        byte[] got = new byte[8192];
        assertEquals(8192, c.read(got, 0, got.length));
        h.expect(100 * MS, ours(ACK, L, R + 8192, 8192)); // the window update
        h.send(101 * MS, peer(ACK, R + 8192, L).payload(new byte[] {42}));
        h.advanceTo(200 * MS);
        assertEquals(1, c.read(got, 0, got.length));
        assertEquals(42, got[0]);
    }

    // ------------------------------------------------------------------ relatives: both sides' buffers full at once

    /** Writes everything it has; reads nothing until {@link #reading} is set (a blocked writer's receive side). */
    static final class GatedApp implements TcpConnection.Listener {
        final byte[] source;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final byte[] buf = new byte[4096];
        TcpConnection connection;
        int written;
        boolean reading;
        boolean eof;
        CloseReason closed;

        GatedApp(byte[] source) {
            this.source = source;
        }

        void attach(TcpConnection c) {
            connection = c;
            c.listener(this);
            onWritable(c);
        }

        @Override
        public void onConnected(TcpConnection c) {
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            while (written < source.length && c.writableBytes() > 0) {
                written += c.write(source, written, source.length - written);
            }
            if (written == source.length) {
                c.shutdownOutput();
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while (reading && (n = c.read(buf, 0, buf.length)) != 0) {
                if (n < 0) {
                    eof = true;
                    return;
                }
                received.write(buf, 0, n);
            }
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            closed = reason;
        }
    }

    @ParameterizedTest(name = "loss {0}")
    @ValueSource(doubles = {0, 0.02, 0.05})
    void bothSidesBuffersFullAtOnceThenBothReadersResume(double loss) {
        // Each side writes 200 KB into 16 KiB buffers and reads nothing for 20 s: both receive windows are 0, both
        // send buffers full, both ends persist toward the other (and, under loss, their window updates and probes
        // get lost). Then both read: every byte must arrive in order, nobody may time out.
        for (long seed = 1; seed <= 20; seed++) {
            Simulator sim = new Simulator(seed);
            TcpConfig config = TcpConfig.builder().receiveBufferBytes(16 * 1024).sendBufferBytes(16 * 1024).build();
            EventLoop wireLoop = sim.newLoop("wire");
            TestWire wire = new TestWire(sim.clock(), sim.random().fork("wire"), 2 * MS, MS, loss);
            wireLoop.register(wire);
            TcpStack a = new TcpStack(sim.newLoop("a"), config, wire.output(0), sim.random().fork("a"));
            TcpStack b = new TcpStack(sim.newLoop("b"), config, wire.output(1), sim.random().fork("b"));
            wire.attach(0, a);
            wire.attach(1, b);
            byte[] aData = new byte[200_000];
            byte[] bData = new byte[200_000];
            sim.random().fork("data").nextBytes(aData);
            sim.random().fork("data2").nextBytes(bData);
            GatedApp appA = new GatedApp(aData);
            GatedApp appB = new GatedApp(bData);
            IpAddress addrA = Ipv4Address.parse("10.77.2.1");
            IpAddress addrB = Ipv4Address.parse("10.77.2.2");
            b.listen(addrB, 80, l -> appB.attach(l.accept()));
            appA.connection = a.connect(addrA, addrB, 80, appA);
            sim.runFor(20_000 * MS);
            String where = "seed " + seed + " loss " + loss + " A=" + appA.connection + " B=" + appB.connection;
            assertEquals(0, appA.connection.rcvWnd(), "A's window closed: " + where);
            assertEquals(0, appB.connection.rcvWnd(), "B's window closed: " + where);
            assertEquals(0, appA.connection.writableBytes(), "A's send buffer full: " + where);
            assertEquals(0, appB.connection.writableBytes(), "B's send buffer full: " + where);
            appA.reading = true;
            appB.reading = true;
            appA.onReadable(appA.connection);
            appB.onReadable(appB.connection);
            boolean done = sim.runUntil(() -> appA.eof && appB.eof, sim.nowNs() + 600_000 * MS);
            assertTrue(done, "stalled: " + where + " A got " + appA.received.size() + " B got "
                    + appB.received.size() + " countersA=" + BackToBackTransferTest.counters(a) + " countersB="
                    + BackToBackTransferTest.counters(b));
            assertArrayEquals(aData, appB.received.toByteArray(), "a->b differs: " + where);
            assertArrayEquals(bData, appA.received.toByteArray(), "b->a differs: " + where);
            assertEquals(0, a.counter(TcpCounter.TIMEOUTS) + b.counter(TcpCounter.TIMEOUTS), where);
            assertFalse(appA.closed == CloseReason.TIMED_OUT || appB.closed == CloseReason.TIMED_OUT, where);
        }
    }

    // ------------------------------------------------------------------ a connection that truly cannot progress

    @Test
    void persistToAVanishedPeerTimesOutWithinMaxRt() {
        // R-TIMER-8 with a MaxRT time budget (spec §6.1: a non-zero MaxRT overrides TcpMaximumRetransmissions):
        // the peer vanished while its window was closed, so no probe is ever answered; 2.5 s after the round's
        // first probe the next expiry ends the connection (TIMED_OUT, no RST), not 15 probes and ~15 minutes later
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        c.updateCached(c.cached().withMaxRtTicks(2500), false, false);
        h.send(20 * MS, peer(ACK, R, L).window(0));
        h.advanceTo(30 * MS);
        c.write(bytes(100, 1));
        h.advanceTo(4029 * MS); // probes at 1030 (the round's first), 2030 and 4030 ms
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(2, h.stack.counter(TcpCounter.WINDOW_PROBES));
        h.advanceTo(4030 * MS); // 3000 ms ≥ MaxRT since the first unanswered probe
        assertEquals(List.of(CloseReason.TIMED_OUT), h.closed);
        for (TcpHarness.Sent s : h.sent) {
            assertFalse(s.segment().has(RST), "R-TIMER-4: never an RST: " + s.segment());
        }
    }

    @Test
    void persistAnsweredForAnHourStaysOpenThenTimesOutWhenThePeerVanishes() {
        // RFC 1122 §4.2.2.17: "As long as the receiving TCP continues to send acknowledgments in response to the
        // probe segments, the sending TCP MUST allow the connection to stay open" — then, once nothing answers,
        // R-TIMER-8: more than TcpMaximumRetransmissions (3) probes in the round end it
        TcpHarness h = new TcpHarness(TcpHarness.plain().maxRetransmissions(3).build());
        TcpConnection c = h.establishedPassive();
        h.send(20 * MS, peer(ACK, R, L).window(0));
        h.advanceTo(30 * MS);
        c.write(bytes(100, 1));
        long t = 30 * MS;
        int answered = 0;
        while (t < 3_600_000 * MS) {
            t += 1000 * MS;
            h.advanceTo(t);
            if (!h.sent.isEmpty()) {
                h.sent.clear();
                h.send(t, peer(ACK, R, L).window(0)); // the probe's answer: window still closed
                answered++;
            }
        }
        assertEquals(TcpState.ESTABLISHED, c.state(), "answered probes keep it open: " + c);
        assertTrue(answered >= 55, "probed about once a minute (the maximum RTO) for an hour: " + answered);
        long vanished = t;
        while (c.state() != TcpState.CLOSED && t < vanished + 3_600_000 * MS) {
            t += 1000 * MS;
            h.advanceTo(t);
        }
        assertEquals(List.of(CloseReason.TIMED_OUT), h.closed);
        assertEquals(answered + 4, h.stack.counter(TcpCounter.WINDOW_PROBES), "4 unanswered probes, then the end");
        // persist at most 60 s (maximum RTO), then probes at most 60 s apart: the end within 5 minutes
        assertTrue(t - vanished <= 300_000 * MS, "timed out " + (t - vanished) / MS + " ms after the peer vanished");
    }
}
