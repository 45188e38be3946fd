package dev.chimney.tcp;

import static dev.chimney.tcp.TcpFlags.ACK;
import static dev.chimney.tcp.TcpFlags.SYN;
import static dev.chimney.tcp.TcpHarness.LOCAL_ISN;
import static dev.chimney.tcp.TcpHarness.MS;
import static dev.chimney.tcp.TcpHarness.REMOTE_ISN;
import static dev.chimney.tcp.TcpHarness.bytes;
import static dev.chimney.tcp.TcpHarness.ours;
import static dev.chimney.tcp.TcpHarness.peer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Text carried on a SYN,ACK or on a simultaneous-open SYN (RFC 9293 §3.10.7.3) is kept and delivered once the
 * connection is ESTABLISHED, and acknowledged then, instead of being dropped for the peer to resend.
 */
class SynTextTest {
    static final int L = LOCAL_ISN + 1;
    static final int R = REMOTE_ISN + 1;
    static final int PORT = 40000;

    final TcpHarness h = new TcpHarness(TcpHarness.plain().build());

    private TcpConnection connect() {
        TcpConnection c = h.stack.connect(TcpHarness.LOCAL, PORT, TcpHarness.REMOTE, TcpHarness.REMOTE_PORT,
                h.events);
        h.expect(0, local(ours(SYN, LOCAL_ISN, 0, 8192).mss(1460)));
        return c;
    }

    private static TcpSegment local(TcpSegment s) {
        return s.sourcePort(PORT);
    }

    private static TcpSegment remote(TcpSegment s) {
        return s.destinationPort(PORT);
    }

    private static byte[] readAll(TcpConnection c, int n) {
        byte[] got = new byte[n];
        assertEquals(n, c.read(got, 0, n + 10), c.toString());
        return got;
    }

    @Test
    void textOnSynAckIsDeliveredAndAcknowledged() {
        // RFC 9293 §3.10.7.3: SYN,ACK acknowledging our SYN → ESTABLISHED, then "continue processing at the sixth
        // step": the text is received and the ACK covers it
        TcpConnection c = connect();
        byte[] text = bytes(100, 9);
        h.send(10 * MS, remote(peer(SYN | ACK, REMOTE_ISN, L).mss(1460).payload(text)));
        h.expect(10 * MS, local(ours(ACK, L, R + 100, 8192 - 100)));
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(1, h.connectedEvents);
        assertEquals(1, h.readableEvents);
        assertArrayEquals(text, readAll(c, 100));
        // the peer goes on from there: the next segment is in order
        byte[] more = bytes(50, 3);
        h.send(20 * MS, remote(peer(ACK, R + 100, L).payload(more)));
        assertArrayEquals(more, readAll(c, 50));
    }

    @Test
    void synAckTextBeyondTheWindowIsTrimmed() {
        // the text must fit RCV.WND like any other (RFC 9293 §3.10.7.4 seventh step); the rest is left for later
        TcpHarness small = new TcpHarness(TcpHarness.plain().receiveBufferBytes(64).build());
        TcpConnection c = small.stack.connect(TcpHarness.LOCAL, PORT, TcpHarness.REMOTE, TcpHarness.REMOTE_PORT,
                small.events);
        small.sent.clear();
        byte[] text = bytes(100, 1);
        small.send(10 * MS, remote(peer(SYN | ACK, REMOTE_ISN, L).mss(1460).payload(text)));
        small.expect(10 * MS, local(ours(ACK, L, R + 64, 0)));
        byte[] got = new byte[64];
        assertEquals(64, c.read(got, 0, 100));
        assertArrayEquals(java.util.Arrays.copyOf(text, 64), got);
    }

    @Test
    void textOnSimultaneousOpenSynIsQueuedUntilEstablished() {
        // RFC 9293 §3.10.7.3 fourth step, SYN without ACK: "queue them for processing after the ESTABLISHED state
        // has been reached" — not acknowledged by our SYN,ACK, not readable before the handshake completes
        TcpConnection c = connect();
        byte[] text = bytes(50, 6);
        h.send(1 * MS, remote(peer(SYN, REMOTE_ISN, 0).mss(1460).payload(text)));
        h.expect(1 * MS, local(ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460)));
        assertEquals(TcpState.SYN_RECEIVED, c.state());
        assertEquals(0, c.readableBytes());
        assertEquals(0, h.readableEvents);
        h.send(2 * MS, remote(peer(SYN | ACK, REMOTE_ISN, L).mss(1460)));
        assertEquals(TcpState.ESTABLISHED, c.state());
        h.expect(2 * MS, local(ours(ACK, L, R + 50, 8192 - 50)));
        assertEquals(1, h.readableEvents);
        assertArrayEquals(text, readAll(c, 50));
    }

    @Test
    void simultaneousOpenTextResentOnTheSynAckIsNotDuplicated() {
        TcpConnection c = connect();
        byte[] text = bytes(50, 6);
        h.send(1 * MS, remote(peer(SYN, REMOTE_ISN, 0).mss(1460).payload(text)));
        h.expect(1 * MS, local(ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460)));
        // the peer did not see its text acknowledged and sends it again on its SYN,ACK, with more
        byte[] textAndMore = new byte[80];
        System.arraycopy(text, 0, textAndMore, 0, 50);
        System.arraycopy(bytes(30, 2), 0, textAndMore, 50, 30);
        h.send(2 * MS, remote(peer(SYN | ACK, REMOTE_ISN, L).mss(1460).payload(textAndMore)));
        h.expect(2 * MS, local(ours(ACK, L, R + 80, 8192 - 80)));
        assertArrayEquals(textAndMore, readAll(c, 80));
    }

    @Test
    void textOnAListenersSynIsNotHeld() {
        // deliberate: a listener's half-open embryos keep no SYN text (no TFO), so a flood of SYNs with data cannot
        // make each allocate a receive buffer; the SYN,ACK acknowledges only the SYN and the peer resends the text
        h.listener = h.stack.listen(TcpHarness.LOCAL, TcpHarness.LOCAL_PORT, l -> h.accepted.add(l.accept()));
        h.send(0, peer(SYN, REMOTE_ISN, 0).mss(1460).payload(bytes(100, 1)));
        h.expect(0, ours(SYN | ACK, LOCAL_ISN, R, 8192).mss(1460));
        h.send(10 * MS, peer(ACK, R, L));
        TcpConnection c = h.accepted.getFirst();
        assertEquals(0, c.readableBytes());
        assertEquals(0, c.bufferBytesAllocated(), "no buffer was allocated for the SYN's text");
        h.send(20 * MS, peer(ACK, R, L).payload(bytes(100, 1)));
        assertArrayEquals(bytes(100, 1), readAll(c, 100));
    }
}
