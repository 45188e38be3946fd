package dev.chimney.socket;

import static dev.chimney.socket.TwoHosts.B;
import static dev.chimney.socket.TwoHosts.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a host that shuts down relies on (chimney run): the socket layer knows its open channels, closeAll() ends
 * them all with FINs (the peers read end of stream, no reset), and an accepted channel hears onConnected once.
 */
class SocketStackCloseAllTest {
    private static final long SEED = 0xC105EL;

    /** Reads and drops input, closes after the peer's FIN, and counts onConnected calls. */
    static final class CountingCollector implements TcpChannelHandler {
        final byte[] buf = new byte[4096];
        TcpChannel channel;
        int connectedCalls;
        boolean eof;
        boolean closed;
        java.io.IOException error;

        @Override
        public void onConnected(TcpChannel ch) {
            connectedCalls++;
            channel = ch;
        }

        @Override
        public void onReadable(TcpChannel ch) {
            int n;
            while ((n = ch.read(buf, 0, buf.length)) > 0) {
                // dropped
            }
            if (n < 0 && !eof) {
                eof = true;
                ch.close();
            }
        }

        @Override
        public void onClosed(TcpChannel ch, java.io.IOException e) {
            closed = true;
            error = e;
        }
    }

    @Test
    void closeAllSendsFinOnEveryOpenChannelAndTracksThemUntilClosed() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        List<CountingCollector> servers = new ArrayList<>();
        h.b.serve(null, 7000, SocketOptions.defaults(), ch -> {
            CountingCollector c = new CountingCollector();
            servers.add(c);
            return c;
        });
        List<CountingCollector> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            CountingCollector c = new CountingCollector();
            clients.add(c);
            h.a.connect(B, 7000, SocketOptions.defaults(), c);
        }
        assertTrue(h.runUntil(() -> servers.size() == 3 && clients.stream().allMatch(c -> c.channel != null),
                10_000 * MS), "seed " + SEED);
        h.sim.runFor(100 * MS);
        assertEquals(3, h.b.openChannels(), "server side open channels");
        assertEquals(3, h.a.openChannels(), "client side open channels");
        for (CountingCollector s : servers) {
            assertEquals(1, s.connectedCalls, "an accepted channel is announced once, seed " + SEED);
        }
        for (CountingCollector c : clients) {
            assertEquals(1, c.connectedCalls, "an active open is announced once, seed " + SEED);
        }

        h.b.closeAll();
        assertTrue(h.runUntil(() -> h.a.openChannels() == 0 && h.b.openChannels() == 0, 10_000 * MS),
                "seed " + SEED + ": open a=" + h.a.openChannels() + " b=" + h.b.openChannels());
        for (CountingCollector c : clients) {
            assertTrue(c.eof, "the client read our FIN as end of stream, seed " + SEED);
            assertTrue(c.closed);
            assertNull(c.error, "graceful: no reset, seed " + SEED);
        }
        for (CountingCollector s : servers) {
            assertTrue(s.closed);
            assertNull(s.error);
        }
    }
}
