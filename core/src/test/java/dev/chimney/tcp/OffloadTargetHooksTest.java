package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.FIN;
import static dev.chimney.tcp.TcpFlags.PSH;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine hooks an offload target uses (dev.chimney.chimney.target): a timeout handed over instead of closing
 * the connection (spec §6.1 R-TIMER-4, §6.5 R-TIMER-12), a snapshot in any state, and peek / skip of received data
 * for receive indications (spec §4.3.2).
 */
class OffloadTargetHooksTest {
    static final long S = 1_000_000_000L;
    static final int L = LOCAL_ISN;
    static final int R = REMOTE_ISN;

    /** Records timeouts and takes them over when {@code takeOver}. */
    static final class Reporter implements TcpConnection.Listener {
        final boolean takeOver;
        final List<String> timeouts = new ArrayList<>();
        final List<CloseReason> closed = new ArrayList<>();

        Reporter(boolean takeOver) {
            this.takeOver = takeOver;
        }

        @Override
        public boolean onTimeout(TcpConnection connection, boolean mitigation) {
            timeouts.add(connection.state() + (mitigation ? " mitigation" : ""));
            return takeOver;
        }

        @Override
        public void onClosed(TcpConnection connection, CloseReason reason) {
            closed.add(reason);
        }
    }

    @Test
    void retransmissionLimitHandedOverLeavesTheTimerDueAndTheConnectionOpen() {
        TcpHarness t = new TcpHarness(TcpHarness.plain().maxRetransmissions(2).build());
        TcpConnection c = t.establishedPassive();
        Reporter r = new Reporter(true);
        c.listener(r);
        c.write(bytes(10, 1));
        t.advanceTo(100 * S);
        assertEquals(List.of("ESTABLISHED"), r.timeouts, "reported once");
        assertEquals(List.of(), r.closed, "not closed");
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(3, t.sent.size(), "the segment and 2 retransmissions, then silence: " + t.sent);
        assertFalse(t.sent.stream().anyMatch(s -> s.segment().has(TcpFlags.RST)), "no RST (R-TIMER-4)");
        TcpDelegated d = c.export().delegated();
        assertEquals(0, d.retransmitTimeoutDelta(), "the expired timer is due: the importer fires it at once");
        assertEquals(2, d.retransmitCount());
        assertEquals(10, d.sendDataLength(), "unacknowledged data kept");
    }

    @Test
    void withoutTheHookTheConnectionStillClosesTimedOut() {
        TcpHarness t = new TcpHarness(TcpHarness.plain().maxRetransmissions(2).build());
        TcpConnection c = t.establishedPassive();
        Reporter r = new Reporter(false);
        c.listener(r);
        c.write(bytes(10, 1));
        t.advanceTo(100 * S);
        assertEquals(List.of("ESTABLISHED"), r.timeouts);
        assertEquals(List.of(CloseReason.TIMED_OUT), r.closed);
        assertEquals(TcpState.CLOSED, c.state());
    }

    @Test
    void finWait2ExpiryHandedOverIsReportedWithTheTimerDue() {
        TcpHarness t = new TcpHarness(TcpHarness.plain().finWait2TimeoutNs(120 * S).build());
        TcpConnection c = t.establishedPassive();
        Reporter r = new Reporter(true);
        c.listener(r);
        c.shutdownOutput();
        t.sent.clear();
        t.send(20 * MS, peer(ACK, R + 1, L + 2));
        assertEquals(TcpState.FIN_WAIT_2, c.state());
        t.advanceTo(120 * S);
        assertEquals(List.of(), r.timeouts, "not yet: 120 s from 20 ms");
        t.advanceTo(121 * S);
        assertEquals(List.of("FIN_WAIT_2"), r.timeouts);
        assertEquals(TcpState.FIN_WAIT_2, c.state(), "the target decides what to report (spec §6.5)");
        assertEquals(0, c.snapshot().delegated().retransmitTimeoutDelta());
    }

    @Test
    void snapshotWorksInTimeWaitAndClosedWhereExportDoesNot() {
        TcpHarness t = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = t.establishedPassive();
        c.shutdownOutput();
        t.send(20 * MS, peer(ACK | FIN, R + 1, L + 2));
        assertEquals(TcpState.TIME_WAIT, c.state());
        TcpSnapshot s = c.snapshot();
        assertEquals(TcpState.TIME_WAIT, s.delegated().state());
        assertEquals(R + 2, s.delegated().rcvNxt());
        assertEquals(L + 2, s.delegated().sndUna());
        int sentBefore = t.sent.size();
        c.snapshot();
        assertEquals(sentBefore, t.sent.size(), "a snapshot sends nothing");
    }

    @Test
    void peekCopiesWithoutConsumingAndSkipConsumesWithoutCopying() {
        TcpHarness t = new TcpHarness(TcpHarness.plain().build());
        TcpConnection c = t.establishedPassive();
        byte[] data = bytes(1000, 3);
        t.send(20 * MS, peer(ACK | PSH, R + 1, L + 1).payload(data));
        assertEquals(1000, c.readableBytes());
        byte[] got = new byte[400];
        assertEquals(400, c.peek(100, got, 0, 400));
        assertArrayEquals(Arrays.copyOfRange(data, 100, 500), got);
        assertEquals(1000, c.readableBytes(), "peek consumed nothing");
        assertEquals(0, c.peek(1000, got, 0, 400), "nothing beyond the readable bytes");
        assertEquals(300, c.skip(300));
        assertEquals(700, c.readableBytes());
        byte[] rest = new byte[700];
        assertEquals(700, c.read(rest, 0, 700));
        assertArrayEquals(Arrays.copyOfRange(data, 300, 1000), rest);
        assertEquals(0, c.skip(10));
        assertTrue(c.rcvWnd() > 0);
    }
}
