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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Per-state fixtures constructed directly (a literal {@link TcpSnapshot} imported into a fresh stack), each
 * cross-checked against the same state reached by a real exchange: same delegated variables, and the same answer
 * to the same next segment. Plus the remaining RFC 9293 §3.10.7.4 transitions per state.
 */
class TcpFixturesTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    /** The state reached by a real handshake, then {@code drive}. */
    static TcpConnection reached(TcpHarness h, TcpState s) {
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        switch (s) {
            case ESTABLISHED -> { }
            case FIN_WAIT_1 -> c.shutdownOutput();
            case FIN_WAIT_2 -> {
                c.shutdownOutput();
                h.send(30 * MS, peer(ACK, R, L + 1));
            }
            case CLOSE_WAIT -> h.send(30 * MS, peer(ACK | FIN, R, L));
            case CLOSING -> {
                c.shutdownOutput();
                h.send(30 * MS, peer(ACK | FIN, R, L));
            }
            case LAST_ACK -> {
                h.send(30 * MS, peer(ACK | FIN, R, L));
                c.shutdownOutput();
            }
            default -> throw new IllegalArgumentException(s.toString());
        }
        h.advanceTo(30 * MS);
        h.sent.clear();
        assertEquals(s, c.state());
        return c;
    }

    /** The same state written down directly, as a hand-made snapshot (what an offload would carry). */
    static TcpSnapshot literal(TcpState s) {
        boolean ourFin = s == TcpState.FIN_WAIT_1 || s == TcpState.FIN_WAIT_2 || s == TcpState.CLOSING
                || s == TcpState.LAST_ACK;
        boolean peerFin = s == TcpState.CLOSE_WAIT || s == TcpState.CLOSING || s == TcpState.LAST_ACK;
        int sndUna = s == TcpState.FIN_WAIT_2 ? L + 1 : L;
        int sndNxt = ourFin ? L + 1 : L;
        int rcvNxt = peerFin ? R + 1 : R;
        long rtx = s == TcpState.FIN_WAIT_2 ? 120_000 : ourFin && s != TcpState.FIN_WAIT_2 ? 1000 : -1;
        TcpConst k = new TcpConst(TcpHarness.LOCAL_PORT, TcpHarness.REMOTE_PORT, false, false, false, 0, 0, 1460, 0);
        TcpCached cached = new TcpCached(false, true, 8192, 0, 9, 7_200_000, 75_000, 0, 0, 64, 0, 0);
        TcpDelegated d = new TcpDelegated(s, rcvNxt, peerFin ? 8191 : 8192, sndUna, sndNxt, sndNxt, 8192, 8192, R,
                65536, Long.MAX_VALUE / 4, 80, 20, 0, 0, 0, 0, 0, 0, 0, -1, 0, rtx, 0, new byte[0], new byte[0],
                List.of());
        return new TcpSnapshot(TcpHarness.LOCAL, TcpHarness.REMOTE, 1500, k, cached, d);
    }

    @ParameterizedTest
    @EnumSource(value = TcpState.class, names = {"ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",
        "LAST_ACK"})
    void literalFixtureMatchesStateReachedByRealExchange(TcpState s) {
        TcpHarness real = new TcpHarness(TcpHarness.plain().build());
        TcpConnection a = reached(real, s);
        TcpDelegated got = a.export().delegated();
        TcpDelegated want = literal(s).delegated();
        assertEquals(want.state(), got.state());
        assertEquals(want.sndUna(), got.sndUna(), "SND.UNA in " + s);
        assertEquals(want.sndNxt(), got.sndNxt(), "SND.NXT in " + s);
        assertEquals(want.sndMax(), got.sndMax(), "SND.MAX in " + s);
        assertEquals(want.rcvNxt(), got.rcvNxt(), "RCV.NXT in " + s);
        assertEquals(want.sndWnd(), got.sndWnd(), "SND.WND in " + s);
        assertEquals(want.retransmitTimeoutDelta() >= 0, got.retransmitTimeoutDelta() >= 0, "timer in " + s);

        // both answer the same probe (an in-window segment at RCV.NXT carrying 1 byte) identically
        TcpHarness constructed = new TcpHarness(TcpHarness.plain().build(), 30 * MS);
        TcpConnection b = TcpConnection.importFrom(literal(s), constructed.stack, constructed.events);
        assertEquals(s, b.state());
        int rcvNxt = want.rcvNxt();
        int ack = want.sndUna(); // acknowledges nothing new, so the state stays
        real.send(40 * MS, peer(ACK, rcvNxt, ack).payload(bytes(1, 1)));
        constructed.send(40 * MS, peer(ACK, rcvNxt, ack).payload(bytes(1, 1)));
        real.advanceTo(200 * MS);
        constructed.advanceTo(200 * MS);
        assertTrue(!real.sent.isEmpty(), "the probe must be answered in " + s);
        assertEquals(real.sent.stream().map(x -> x.segment().toString()).toList(),
                constructed.sent.stream().map(x -> x.segment().toString()).toList(), "answers in " + s);
        assertEquals(a.state(), b.state());
    }

    @Test
    void rstInSynReceivedOfPassiveOpenReturnsToListen() {
        // RFC 9293 §3.10.7.4 second check, SYN-RECEIVED from a passive OPEN: back to LISTEN, no notification
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpListener l = h.stack.listen(TcpHarness.LOCAL, 80, x -> { });
        h.send(0, peer(SYN, REMOTE_ISN, 0));
        assertEquals(1, l.synQueueLength());
        h.send(1 * MS, peer(RST, R, 0));
        assertEquals(0, l.synQueueLength());
        assertEquals(0, h.stack.connectionCount());
        // the listener is still there
        h.sent.clear();
        h.send(2 * MS, peer(SYN, REMOTE_ISN + 5, 0));
        assertEquals(1, h.sent.size());
    }

    @Test
    void badAckInSynReceivedIsAnsweredWithRst() {
        // RFC 9293 §3.10.7.4 fifth check, SYN-RECEIVED: unacceptable ACK → <SEQ=SEG.ACK><CTL=RST>
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        h.stack.listen(TcpHarness.LOCAL, 80, x -> { });
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460));
        h.sent.clear();
        h.send(1 * MS, peer(ACK, R, L + 77));
        h.expect(1 * MS, ours(RST, L + 77, 0, 0));
    }

    @Test
    void rstIgnoredInTimeWait() {
        // RFC 1337 §3: ignoring RST in TIME-WAIT prevents TIME-WAIT assassination
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.close();
        h.send(30 * MS, peer(ACK | FIN, R, L + 1));
        assertEquals(TcpState.TIME_WAIT, c.state());
        h.send(40 * MS, peer(RST, R + 1, 0));
        assertEquals(TcpState.TIME_WAIT, c.state());
    }

    @Test
    void rstInLastAckClosesQuietly() {
        // RFC 9293 §3.10.7.4 second check, CLOSING/LAST-ACK/TIME-WAIT: RST → CLOSED
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = reached(h, TcpState.LAST_ACK);
        h.send(40 * MS, peer(RST, R + 1, 0));
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(List.of(CloseReason.NORMAL), h.closed);
    }

    @Test
    void dataAfterFullCloseIsAcknowledgedAndDiscarded() {
        // RFC 9293 §3.10.4: after CLOSE the application reads nothing more; in-order data is ACKed and dropped
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        h.advanceTo(20 * MS);
        c.close();
        h.expect(20 * MS, ours(ACK | FIN, L, R, 8192));
        h.send(30 * MS, peer(ACK | PSH, R, L + 1).payload(bytes(10, 1)));
        h.expect(30 * MS, ours(ACK, L + 1, R + 10, 8192));
        assertEquals(0, c.readableBytes());
    }

    @Test
    void finInSynReceivedMovesToCloseWait() {
        // RFC 9293 §3.10.7.4 eighth check: SYN-RECEIVED/ESTABLISHED + FIN → CLOSE-WAIT (here with the final ACK)
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        h.stack.listen(TcpHarness.LOCAL, 80, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460));
        h.send(1 * MS, peer(ACK | FIN, R, L));
        assertEquals(TcpState.CLOSE_WAIT, h.accepted.getFirst().state());
    }

    @Test
    void maxRtMinusOneMeansNoLimit() {
        // spec §6.1: MaxRT = 0xFFFFFFFF → never give up on retransmission
        TcpHarness h = new TcpHarness(TcpHarness.plain().maxRetransmissions(1).build());
        TcpConnection c = h.establishedPassive();
        c.updateCached(c.cached().withMaxRtTicks(-1), false, false);
        c.write(bytes(10, 1));
        h.advanceTo(3_600_000 * MS);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertTrue(h.stack.counter(TcpCounter.RTO_EXPIRATIONS) > 50);
    }

    @Test
    void apiMisuseThrowsWithAdvice() {
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = h.establishedPassive();
        assertThrows(IllegalStateException.class, () -> h.stack.listen(TcpHarness.LOCAL, 80, x -> { }));
        c.shutdownOutput();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.write(new byte[1]));
        assertTrue(e.getMessage().contains("shut down"), e.getMessage());
        TcpHarness h2 = new TcpHarness(TcpHarness.plain().build());
        TcpConnection syn = h2.stack.connect(TcpHarness.LOCAL, TcpHarness.REMOTE, 80, null);
        assertThrows(IllegalStateException.class, syn::export);
        assertThrows(IllegalArgumentException.class, () -> TcpConfig.builder().ticksPerSecond(7).build());
        assertNull(h.stack.find(TcpHarness.LOCAL, 1, TcpHarness.REMOTE, 2));
    }

    @Test
    void malformedSegmentsAreCountedAndDropped() {
        // bad input never hurts: impossible flag combinations and port 0 are dropped and counted
        TcpHarness h = new TcpHarness(TcpHarness.plain().build());
        h.stack.listen(TcpHarness.LOCAL, 80, x -> { });
        Consumer<TcpSegment> send = s -> h.send(0, s);
        send.accept(peer(SYN | FIN, REMOTE_ISN, 0));
        send.accept(peer(SYN | RST, REMOTE_ISN, 0));
        send.accept(peer(SYN, REMOTE_ISN, 0).sourcePort(0));
        assertEquals(3, h.stack.counter(TcpCounter.DROP_BAD_HEADER));
        assertTrue(h.sent.isEmpty());
    }

    @ParameterizedTest
    @EnumSource(value = TcpState.class, names = {"ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",
        "LAST_ACK"})
    void exportImportExportIsTheIdentity(TcpState s) {
        // the spec §2.7 mapping loses nothing: a snapshot re-exported right after import is equal, on a loop whose
        // clock is far ahead (timer deltas, TsTime and TsRecentAge are relative)
        TcpHarness h = new TcpHarness(TcpHarness.plain().timestamps(true).sack(true).keepAlive(true).build());
        TcpConnection c = reached(h, s);
        if (s.canSend()) {
            c.write(bytes(3000, 7)); // data in flight and queued
        }
        h.send(35 * MS, peer(ACK, c.rcvNxt() + 500, c.sndUna()).payload(bytes(300, 8))); // out of order
        TcpSnapshot first = c.export();
        TcpHarness other = new TcpHarness(TcpHarness.plain().timestamps(true).sack(true).build(), 555_555 * MS);
        TcpConnection moved = TcpConnection.importFrom(first, other.stack, null);
        TcpSnapshot second = moved.export();
        assertEquals(first, second);
        // immutability: changing what an accessor returned changes nothing
        boolean receives = s == TcpState.ESTABLISHED || s == TcpState.FIN_WAIT_1 || s == TcpState.FIN_WAIT_2;
        assertEquals(receives ? 1 : 0, first.delegated().outOfOrder().size(), "out-of-order data travels");
        if (receives) {
            byte[] copy = first.delegated().outOfOrder().getFirst().data();
            copy[0] ^= 1;
            assertEquals(first.delegated(), second.delegated());
        }
        if (s.canSend()) {
            assertEquals(3000, first.delegated().sendDataLength());
        }
    }
}
