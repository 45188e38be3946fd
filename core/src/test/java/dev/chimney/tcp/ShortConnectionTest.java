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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Short connections as ApacheBench makes them (issue 9). What an application writes and closes from inside the
 * callbacks for an arrived segment leaves together once the callbacks return: an HTTP/1.0-style answer is one segment
 * carrying the response and the FIN, not a data segment followed by a bare FIN — one frame less per short
 * connection. A connection that closed first keeps only what TIME_WAIT needs (not the application's listener, not
 * its loss-recovery records), and its 2·MSL is timed by the stack's TIME_WAIT queue, not by a timer of its own.
 */
class ShortConnectionTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;

    final TcpHarness h = new TcpHarness(TcpHarness.plain().build());

    @Test
    void responseWrittenInOnReadableLeavesWithItsFin() {
        // RFC 9293 §3.10.4 CLOSE in ESTABLISHED: FIN after the queued data — here in the same segment
        TcpConnection c = h.establishedPassive();
        byte[] response = bytes(300, 5);
        byte[] buf = new byte[1000];
        int[] served = {0};
        c.listener(new TcpConnection.Listener() {
            @Override
            public void onReadable(TcpConnection conn) {
                if (conn.read(buf, 0, buf.length) > 0) {
                    conn.write(response, 0, 100);
                    conn.write(response, 100, 200); // two writes, one segment
                    conn.close();
                    served[0]++;
                }
            }
        });
        h.send(20 * MS, peer(ACK | PSH, R, L).payload(bytes(80, 1)));
        h.expect(20 * MS, ours(ACK | PSH | FIN, L, R + 80, 8192).payload(response));
        h.expectNothing(30 * MS);
        assertEquals(1, served[0]);
        assertEquals(TcpState.FIN_WAIT_1, c.state());
        h.send(30 * MS, peer(ACK | FIN, R + 80, L + 301));
        h.expect(30 * MS, ours(ACK, L + 301, R + 81, 8192));
        assertEquals(TcpState.TIME_WAIT, c.state());
    }

    @Test
    void abortInOnReadableResetsAndReportsClosedOnce() {
        // RFC 9293 §3.10.5 ABORT: RST at once, then the close is reported, even from inside a callback
        TcpConnection c = h.establishedPassive();
        int[] closed = {0};
        c.listener(new TcpConnection.Listener() {
            @Override
            public void onReadable(TcpConnection conn) {
                conn.write(bytes(10, 2));
                conn.abort();
            }

            @Override
            public void onClosed(TcpConnection conn, CloseReason reason) {
                closed[0]++;
                assertEquals(CloseReason.ABORTED, reason);
            }
        });
        h.send(20 * MS, peer(ACK | PSH, R, L).payload(bytes(10, 1)));
        h.expect(20 * MS, ours(RST | ACK, L, R + 10, 0)); // the 10 bytes written first are discarded
        h.expectNothing(5000 * MS);
        assertEquals(1, closed[0]);
        assertEquals(TcpState.CLOSED, c.state());
    }

    @Test
    void timeWaitLetsGoOfTheListenerAndTheLossRecoveryRecords() {
        // RFC 9293 §3.10.7.4 TIME-WAIT only ACKs a retransmitted FIN: nothing of the application or of loss
        // recovery (RFC 8985 RACK-TLP records) is needed for the 2·MSL it lasts
        TcpHarness s = new TcpHarness(TcpHarness.plain().sack(true).build());
        s.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> s.accepted.add(l.accept()));
        s.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460).sackPermitted(true));
        s.expect(0, ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460).sackPermitted(true));
        s.send(10 * MS, peer(ACK, R, L));
        TcpConnection c = s.accepted.getFirst();
        assertNotNull(c.rackScoreboard(), "SACK negotiated: RACK-TLP runs");
        int[] closed = {0};
        TcpConnection.Listener app = new TcpConnection.Listener() {
            @Override
            public void onClosed(TcpConnection conn, CloseReason reason) {
                closed[0]++;
            }
        };
        c.listener(app);
        WeakReference<TcpConnection.Listener> appRef = new WeakReference<>(app);
        app = null;
        c.write(bytes(100, 4));
        c.close();
        // outside any callback each call sends at once: the data, then the FIN
        s.expect(10 * MS, ours(ACK | PSH, L, R, 8192).payload(bytes(100, 4)));
        s.expect(10 * MS, ours(ACK | FIN, L + 100, R, 8192));
        s.send(20 * MS, peer(ACK | FIN, R, L + 101));
        s.expect(20 * MS, ours(ACK, L + 101, R + 1, 8192));
        assertEquals(TcpState.TIME_WAIT, c.state());
        assertEquals(1, closed[0]);
        assertNull(c.rackScoreboard(), "the RACK record is dropped in TIME_WAIT");
        for (int i = 0; i < 50 && appRef.get() != null; i++) {
            System.gc();
        }
        assertNull(appRef.get(), "the TIME_WAIT connection no longer keeps the application's listener alive");
        // a retransmitted FIN is still answered (and TIME_WAIT restarted) without either
        s.send(30 * MS, peer(ACK | FIN, R, L + 101));
        s.expect(30 * MS, ours(ACK, L + 101, R + 1, 8192));
        assertTrue(c.state() == TcpState.TIME_WAIT);
        s.advanceTo(30 * MS + 2 * TcpConfig.builder().build().mslNs());
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(1, closed[0], "onClosed once, at TIME_WAIT");
    }

    /** A passive connection from {@code port}, established, that closed first and is in TIME_WAIT at {@code t}. */
    static TcpConnection inTimeWait(TcpHarness s, int port, long t) {
        s.send(t, peer(SYN, REMOTE_ISN, 0).sourcePort(port).mss(1460));
        s.send(t, peer(ACK, R, L).sourcePort(port));
        TcpConnection c = s.accepted.getLast();
        c.close();
        s.send(t, peer(ACK | FIN, R, L + 1).sourcePort(port));
        assertEquals(TcpState.TIME_WAIT, c.state());
        return c;
    }

    @Test
    void timeWaitConnectionsShareOneLoopTimerAndEndAtTheirOwn2Msl() {
        // RFC 9293 §3.10.8 TIME-WAIT timeout 2·MSL, §3.10.7.4 a retransmitted FIN restarts it
        TcpHarness s = new TcpHarness(TcpHarness.plain().build());
        long twoMsl = 2 * TcpConfig.builder().build().mslNs();
        s.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> s.accepted.add(l.accept()));
        TcpConnection a = inTimeWait(s, 40001, 10 * MS);
        TcpConnection b = inTimeWait(s, 40002, 20 * MS);
        TcpConnection c = inTimeWait(s, 40003, 30 * MS);
        assertEquals(1, s.loop.timers().size(), "three TIME_WAITs, one timer in the loop's heap");
        s.send(40 * MS, peer(ACK | FIN, R, L + 1).sourcePort(40001)); // a's FIN again: restart a's 2·MSL
        s.advanceTo(20 * MS + twoMsl - 1);
        assertEquals(List.of(TcpState.TIME_WAIT, TcpState.TIME_WAIT, TcpState.TIME_WAIT),
                List.of(a.state(), b.state(), c.state()));
        // each ends no earlier than its 2·MSL and at most TIME_WAIT_SLACK_NS later (one wake-up ends all then due)
        long slack = TcpStack.TIME_WAIT_SLACK_NS;
        s.advanceTo(20 * MS + twoMsl + slack - 1);
        assertEquals(TcpState.TIME_WAIT, a.state(), "a's first deadline (10 ms) passed, but its FIN restarted it");
        assertEquals(TcpState.CLOSED, b.state(), "b ends within the slack after its 2·MSL");
        s.advanceTo(40 * MS + twoMsl - 1);
        assertEquals(TcpState.TIME_WAIT, a.state(), "restarted by the retransmitted FIN at 40 ms");
        s.advanceTo(40 * MS + twoMsl + slack);
        assertEquals(List.of(TcpState.CLOSED, TcpState.CLOSED), List.of(a.state(), c.state()),
                "c (due at 30 ms + 2·MSL) and a, within the slack");
        assertEquals(0, s.stack.connectionCount());
        assertEquals(0, s.loop.timers().size());
    }
}
