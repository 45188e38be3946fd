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
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * What an application writes and closes from inside the callbacks for an arrived segment leaves together once the
 * callbacks return (issue 9, ApacheBench churn): an HTTP/1.0-style answer is one segment carrying the response and
 * the FIN, not a data segment followed by a bare FIN — one frame less per short connection.
 */
class CallbackOutputCoalescingTest {
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
}
