package dev.chimney.socket;

import static dev.chimney.socket.TwoHosts.B;
import static dev.chimney.socket.TwoHosts.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpCounter;
import java.io.IOException;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 9: a connection that truly cannot progress — its peer vanished while its window was closed, or in the
 * middle of an echo with both ends' buffers full — ends within its configured limits with an error the application
 * is told, never silently for minutes. Simulated time, so the limits are checked to the millisecond range.
 */
class StuckConnectionTest {
    static final long SEED = 909L;

    /** 16 KiB buffers, 4 retransmissions (or probes in one round), RTO backoff capped at 2 s. */
    static TcpConfig limits() {
        return TcpConfig.builder().sendBufferBytes(16 * 1024).receiveBufferBytes(16 * 1024).maxRetransmissions(4)
                .maxRtoNs(2_000 * MS).build();
    }

    /** A server that accepts and never reads: its receive window closes once the client fills it. */
    static final class Deaf implements TcpChannelHandler {
        TcpChannel channel;
        boolean closed;
        IOException error;

        @Override
        public void onConnected(TcpChannel ch) {
            channel = ch;
        }

        @Override
        public void onClosed(TcpChannel ch, IOException e) {
            closed = true;
            error = e;
        }
    }

    /** Echo on the loop: reads what it can and writes it back, reading again only once all is written. */
    static final class Echo implements TcpChannelHandler {
        final byte[] buf = new byte[64 * 1024];
        int pending;
        int pendingOff;
        boolean closed;
        IOException error;

        @Override
        public void onConnected(TcpChannel ch) {
            pump(ch);
        }

        @Override
        public void onReadable(TcpChannel ch) {
            pump(ch);
        }

        @Override
        public void onWritable(TcpChannel ch) {
            pump(ch);
        }

        private void pump(TcpChannel ch) {
            while (!ch.isClosed()) {
                if (pending > 0) {
                    int n = ch.write(buf, pendingOff, pending);
                    pendingOff += n;
                    pending -= n;
                    if (pending > 0) {
                        return;
                    }
                }
                int n = ch.read(buf, 0, buf.length);
                if (n <= 0) {
                    return;
                }
                pending = n;
                pendingOff = 0;
            }
        }

        @Override
        public void onClosed(TcpChannel ch, IOException e) {
            closed = true;
            error = e;
        }
    }

    @Test
    void zeroWindowPeerThatVanishesEndsTheWriterWithTimedOutWithinTheProbeLimit() {
        TwoHosts h = TwoHosts.simulated(SEED, limits(), 2 * MS);
        List<Deaf> servers = new ArrayList<>();
        h.b.serve(null, 80, SocketOptions.defaults(), ch -> {
            Deaf d = new Deaf();
            servers.add(d);
            return d;
        });
        StreamClient client = new StreamClient(new byte[1 << 20]);
        client.shutdownWhenWritten = false;
        TcpChannel ch = h.a.connect(B, 80, SocketOptions.defaults(), client);
        // the server's window closes and the client persists; its probes are answered for a while
        assertTrue(h.runUntil(() -> !servers.isEmpty() && servers.getFirst().channel != null
                && servers.getFirst().channel.connection().rcvWnd() == 0 && ch.writableBytes() == 0, 10_000 * MS));
        h.sim.runFor(20_000 * MS);
        assertTrue(!client.closed && h.tcpA.counter(TcpCounter.WINDOW_PROBES) > 0, "persisting, alive: " + ch);
        h.wire.cut = true; // the peer vanishes
        long start = h.sim.nowNs();
        assertTrue(h.runUntil(() -> client.closed, 600_000 * MS), "no error for 10 minutes: " + ch);
        long tookMs = (h.sim.nowNs() - start) / MS;
        SocketException e = assertInstanceOf(SocketException.class, client.error);
        assertTrue(e.getMessage().contains("timed out") && e.getMessage().contains("zero-window probes"),
                e.getMessage());
        // at most: the round's persist interval (≤ 2 s) and 4 unanswered probes at most 2 s apart
        assertTrue(tookMs <= 10_000, "timed out " + tookMs + " ms after the peer vanished");
        assertEquals(1, h.tcpA.counter(TcpCounter.TIMEOUTS));
    }

    @Test
    void echoWithBothBuffersFullWhosePeerVanishesEndsBothEndsWithinTheRetransmissionLimit() {
        TwoHosts h = TwoHosts.simulated(SEED, limits(), 2 * MS);
        List<Echo> servers = new ArrayList<>();
        h.b.serve(null, 7, SocketOptions.defaults(), ch -> {
            Echo e = new Echo();
            servers.add(e);
            return e;
        });
        StreamClient client = new StreamClient(new byte[4 << 20]);
        client.shutdownWhenWritten = false;
        client.readingPaused = true; // a reader that stopped: the echo's send buffer fills, then its window closes
        TcpChannel ch = h.a.connect(B, 7, SocketOptions.defaults(), client);
        assertTrue(h.runUntil(() -> ch.writableBytes() == 0 && ch.connection().rcvWnd() == 0
                && !servers.isEmpty() && servers.getFirst().pending > 0, 10_000 * MS), "both ends full: " + ch);
        h.wire.cut = true;
        long start = h.sim.nowNs();
        assertTrue(h.runUntil(() -> client.closed, 600_000 * MS), "no error for 10 minutes: " + ch);
        long tookMs = (h.sim.nowNs() - start) / MS;
        SocketException e = assertInstanceOf(SocketException.class, client.error);
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        assertTrue(tookMs <= 10_000, "the client timed out " + tookMs + " ms after the peer vanished");
        assertTrue(h.runUntil(() -> servers.getFirst().closed, 600_000 * MS), "the echo side never ended");
        assertInstanceOf(SocketException.class, servers.getFirst().error);
    }
}
