package dev.chimney.socket;

import static dev.chimney.socket.TwoHosts.A;
import static dev.chimney.socket.TwoHosts.B;
import static dev.chimney.socket.TwoHosts.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.Ipv6Address;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The loop-side non-blocking API on two simulated hosts (virtual time; every run replays from its seed). */
class TcpChannelTest {
    static final long SEED = 20261125L;

    static byte[] data(int n, long seed) {
        byte[] b = new byte[n];
        new dev.chimney.runtime.SeededRandom(seed).nextBytes(b);
        return b;
    }

    /** Server side that keeps what it reads and sends {@code reply} then closes after the client's FIN. */
    static final class Collector implements TcpChannelHandler {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final byte[] buf = new byte[4096];
        TcpChannel channel;
        boolean eof;
        boolean closed;
        IOException error;

        @Override
        public void onConnected(TcpChannel ch) {
            channel = ch;
        }

        @Override
        public void onReadable(TcpChannel ch) {
            int n;
            while ((n = ch.read(buf, 0, buf.length)) > 0) {
                got.write(buf, 0, n);
            }
            if (n < 0 && !eof) {
                eof = true;
                ch.close();
            }
        }

        @Override
        public void onClosed(TcpChannel ch, IOException e) {
            closed = true;
            error = e;
        }
    }

    @Test
    void bytesFlowAndBothSidesCloseGracefully() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 2 * MS);
        List<Collector> servers = new ArrayList<>();
        h.b.serve(null, 5000, SocketOptions.defaults(), ch -> {
            Collector c = new Collector();
            servers.add(c);
            return c;
        });
        byte[] payload = data(700_000, SEED);
        StreamClient client = new StreamClient(payload);
        TcpChannel ch = h.a.connect(B, 5000, SocketOptions.defaults(), client);
        assertEquals(TcpState.SYN_SENT, ch.state());
        assertTrue(h.runUntil(() -> client.closed && !servers.isEmpty() && servers.getFirst().closed, 60_000 * MS),
                "seed " + SEED + ": client=" + ch);
        assertArrayEquals(payload, servers.getFirst().got.toByteArray(), "seed " + SEED);
        assertNull(client.error, "graceful close reports no error");
        assertNull(servers.getFirst().error);
        assertTrue(client.eof, "client read the server's FIN as end of stream");
        assertEquals(A, ch.localAddress());
        assertEquals(B, ch.remoteAddress());
        assertTrue(ch.localPort() >= 49152, "ephemeral port " + ch.localPort());
    }

    @Test
    void refusedConnectReportsConnectExceptionNamingThePeer() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        StreamClient client = new StreamClient(new byte[0]);
        h.a.connect(B, 81, SocketOptions.defaults(), client);
        assertTrue(h.runUntil(() -> client.closed, 10_000 * MS));
        ConnectException e = assertInstanceOf(ConnectException.class, client.error);
        assertTrue(e.getMessage().startsWith("connection refused by 10.77.3.2:81"), e.getMessage());
        assertTrue(!client.connected);
    }

    @Test
    void connectTimeoutOptionAbortsWithSocketTimeoutException() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        h.wire.cut = true;
        StreamClient client = new StreamClient(new byte[0]);
        long start = h.sim.nowNs();
        TcpChannel ch = h.a.connect(B, 80, SocketOptions.defaults().withConnectTimeoutNs(2500 * MS), client);
        assertTrue(h.runUntil(() -> client.closed, 60_000 * MS));
        SocketTimeoutException e = assertInstanceOf(SocketTimeoutException.class, client.error);
        assertTrue(e.getMessage().contains("timed out after 2500 ms"), e.getMessage());
        assertEquals(2500 * MS, h.sim.nowNs() - start, "the time-out fires on the loop clock, exactly");
        assertEquals(TcpState.CLOSED, ch.state());
        assertEquals(0, h.tcpA.connectionCount(), "the aborted connection left the demux table");
    }

    @Test
    void synRetriesRunningOutIsAConnectException() {
        TcpConfig config = TcpConfig.builder().synRetries(2).build();
        TwoHosts h = TwoHosts.simulated(SEED, config, MS);
        h.wire.cut = true;
        StreamClient client = new StreamClient(new byte[0]);
        h.a.connect(B, 80, SocketOptions.defaults(), client);
        assertTrue(h.runUntil(() -> client.closed, 600_000 * MS));
        ConnectException e = assertInstanceOf(ConnectException.class, client.error);
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    }

    @Test
    void noAddressOfTheRemoteFamilyIsNoRouteToHost() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        StreamClient client = new StreamClient(new byte[0]);
        TcpChannel ch = h.a.connect(Ipv6Address.parse("fd77::2"), 80, SocketOptions.defaults(), client);
        assertTrue(!client.closed, "the failure is reported on a later turn, never re-entrantly");
        assertTrue(h.runUntil(() -> client.closed, 10 * MS));
        NoRouteToHostException e = assertInstanceOf(NoRouteToHostException.class, client.error);
        assertTrue(e.getMessage().contains("[fd77::2]:80"), e.getMessage());
        assertEquals(TcpState.CLOSED, ch.state());
    }

    @Test
    void peerAbortIsConnectionResetByPeer() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        List<TcpChannel> accepted = new ArrayList<>();
        h.b.serve(null, 80, SocketOptions.defaults(), ch -> {
            accepted.add(ch);
            return new TcpChannelHandler() {
            };
        });
        StreamClient client = new StreamClient(new byte[0]);
        client.shutdownWhenWritten = false;
        h.a.connect(B, 80, SocketOptions.defaults(), client);
        assertTrue(h.runUntil(() -> client.connected && !accepted.isEmpty(), 1000 * MS));
        h.loopB.execute(() -> accepted.getFirst().abort());
        assertTrue(h.runUntil(() -> client.closed, 1000 * MS));
        SocketException e = assertInstanceOf(SocketException.class, client.error);
        assertEquals("connection reset by peer 10.77.3.2:80", e.getMessage());
        assertNull(accepted.getFirst().error(), "our own abort is not an error for us");
        assertTrue(accepted.getFirst().isClosed());
    }

    @Test
    void writeAfterShutdownOutputThrowsSayingWhatToDo() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        Collector server = new Collector();
        h.b.serve(null, 80, SocketOptions.defaults(), ch -> server);
        StreamClient client = new StreamClient(new byte[] {1, 2, 3});
        TcpChannel ch = h.a.connect(B, 80, SocketOptions.defaults(), client);
        assertTrue(h.runUntil(() -> server.eof, 1000 * MS));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ch.write(new byte[1], 0, 1));
        assertTrue(e.getMessage().contains("write before shutdownOutput()"), e.getMessage());
        assertEquals(0, ch.writableBytes());
        assertArrayEquals(new byte[] {1, 2, 3}, server.got.toByteArray());
    }

    @Test
    void bytesThatArriveBeforeAcceptAreAnnouncedOnAccept() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        List<TcpChannelServer> ready = new ArrayList<>();
        TcpChannelServer server = h.b.listen(null, 80, SocketOptions.defaults(), ready::add);
        StreamClient client = new StreamClient(data(3000, 7));
        h.a.connect(B, 80, SocketOptions.defaults(), client);
        // the client's data and FIN arrive while nobody accepts
        assertTrue(h.runUntil(() -> client.written == 3000 && server.pendingConnections() == 1, 1000 * MS));
        h.sim.runFor(200 * MS);
        assertEquals(1, server.pendingConnections());
        Collector c = new Collector();
        h.loopB.execute(() -> server.accept(c));
        assertTrue(h.runUntil(() -> c.closed && client.closed, 5000 * MS));
        assertArrayEquals(client.source, c.got.toByteArray());
        assertEquals(1, server.acceptedCount());
    }

    @Test
    void backlogLimitHoldsConnectionsBeyondItOff() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        TcpChannelServer server = h.b.listen(null, 80, 2, SocketOptions.defaults(), s -> { });
        assertEquals(2, server.backlogLimit());
        List<StreamClient> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            StreamClient c = new StreamClient(new byte[0]);
            c.shutdownWhenWritten = false;
            clients.add(c);
            h.a.connect(B, 80, SocketOptions.defaults(), c);
        }
        h.sim.runFor(500 * MS);
        assertEquals(2, server.pendingConnections(), "only the backlog's worth waits");
        assertTrue(h.tcpB.counter(TcpCounter.DROP_BACKLOG_FULL) > 0);
        // accepting makes room: the held-off clients get in on their retries
        List<TcpChannel> accepted = new ArrayList<>();
        TcpChannelServer.AcceptHandler drain = s -> {
            TcpChannel ch;
            while ((ch = s.accept(new TcpChannelHandler() {
            })) != null) {
                accepted.add(ch);
            }
        };
        h.loopB.execute(() -> drain.onAcceptable(server));
        for (int round = 0; round < 20 && accepted.size() < 4; round++) {
            h.sim.runFor(1000 * MS);
            h.loopB.execute(() -> drain.onAcceptable(server));
        }
        h.sim.runFor(10 * MS);
        assertEquals(4, accepted.size(), "every client got in once there was room");
        assertTrue(clients.stream().allMatch(c -> c.connected));
    }

    @Test
    void shutdownInputDiscardsAndReadsEndOfStream() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        List<TcpChannel> accepted = new ArrayList<>();
        h.b.serve(null, 80, SocketOptions.defaults(), ch -> {
            accepted.add(ch);
            return new TcpChannelHandler() {
            };
        });
        StreamClient client = new StreamClient(data(200_000, 3));
        h.a.connect(B, 80, SocketOptions.defaults(), client);
        assertTrue(h.runUntil(() -> !accepted.isEmpty(), 1000 * MS));
        TcpChannel server = accepted.getFirst();
        h.loopB.execute(server::shutdownInput);
        assertTrue(h.runUntil(() -> client.written == 200_000 && server.connection().state() == TcpState.CLOSE_WAIT,
                10_000 * MS), "the sender is never blocked by a reader that shut its input down");
        assertEquals(-1, server.read(new byte[10], 0, 10));
        assertTrue(server.isEndOfStream());
        assertEquals(0, server.readableBytes());
    }

    @Test
    void sendBufferOptionCapsUnacknowledgedBytes() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), 5 * MS);
        h.b.serve(null, 80, SocketOptions.defaults(), ch -> new Collector());
        StreamClient client = new StreamClient(data(100_000, 5));
        TcpChannel ch = h.a.connect(B, 80, SocketOptions.defaults().withSendBufferBytes(4000), client);
        long maxUnacked = 0;
        while (!client.closed && h.sim.step(h.sim.nowNs() + 60_000 * MS)) {
            if (ch.connection() != null) {
                maxUnacked = Math.max(maxUnacked, ch.connection().unacknowledgedBytes());
            }
        }
        assertTrue(client.closed && client.error == null, "transfer finished: " + client.error);
        assertTrue(maxUnacked > 0 && maxUnacked <= 4000, "unacknowledged bytes stayed under SO_SNDBUF: " + maxUnacked);
    }

    @Test
    void noDelayAndKeepAliveOptionsReachTheConnection() {
        TwoHosts h = TwoHosts.simulated(SEED, TwoHosts.smallBuffers(), MS);
        h.b.serve(null, 80, SocketOptions.defaults(), ch -> new Collector());
        StreamClient client = new StreamClient(new byte[0]);
        client.shutdownWhenWritten = false;
        SocketOptions o = SocketOptions.defaults().withNoDelay(true).withKeepAlive(3_000 * MS, 500 * MS, 4);
        TcpChannel ch = h.a.connect(B, 80, o, client);
        assertTrue(h.runUntil(() -> client.connected, 1000 * MS));
        var cached = ch.connection().cached();
        assertTrue(!cached.naglingEnabled());
        assertTrue(cached.keepAliveEnabled());
        assertEquals(3000, cached.kaTimeoutTicks(), "1000 ticks per second");
        assertEquals(500, cached.kaIntervalTicks());
        assertEquals(4, cached.kaProbeCount());
        // keepalive really runs: cut the wire and the connection times out after idle + 4 probes
        h.wire.cut = true;
        long start = h.sim.nowNs();
        assertTrue(h.runUntil(() -> client.closed, 60_000 * MS));
        SocketException e = assertInstanceOf(SocketException.class, client.error);
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        long tookMs = (h.sim.nowNs() - start) / MS;
        assertTrue(tookMs >= 3000 && tookMs <= 3000 + 5 * 500 + 10, "keepalive gave up after " + tookMs + " ms");
        h.loopA.execute(() -> ch.options(o.withNoDelay(false)));
        h.sim.runFor(MS);
        assertNotNull(ch.options());
    }
}
