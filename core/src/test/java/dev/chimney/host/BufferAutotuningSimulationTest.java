package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Buffer autotuning on a long fat path in the simulator (issue 9 item 3): two hosts joined by a 100 Mbit/s link
 * with 20 ms each way (40 ms round trip, a bandwidth-delay product of 500 kB). A bulk download must reach what the
 * receiver's maximum buffer allows although the buffer starts at 64 KiB (Linux's dynamic right-sizing, which this
 * engine follows), while a request/response connection on the same path keeps its initial sizes and, idle, holds no
 * buffer memory at all.
 */
class BufferAutotuningSimulationTest {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final long LINK_BITS_PER_SECOND = 100_000_000L;
    static final long ONE_WAY_NS = 20 * MS;
    static final int PORT = 5001;

    /** Two hosts on the long fat path; the client (A) receives with {@code receiver}, the server (B) sends. */
    static final class Path {
        final Simulator sim;
        final NetworkStack a;
        final NetworkStack b;
        final List<TcpConnection> accepted = new ArrayList<>();

        Path(long seed, TcpConfig receiver, TcpConfig sender) {
            sim = new Simulator(seed);
            // the bottleneck queue holds twice the path's BDP: a window beyond that overflows it (not what is tested)
            Impairments imp = Impairments.NONE.withDelay(ONE_WAY_NS, 0).withRate(LINK_BITS_PER_SECOND, 1 << 20);
            VirtualWire wire = VirtualWire.builder("lfn", sim.clock(), sim.random().fork("wire")).both(imp)
                    .maxInFlightFrames(65_536).build();
            a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a")).tcpConfig(receiver)
                    .iface(wire.a(), InterfaceConfig.of("a0", TransferScenario.MAC_A).withIpv4("10.77.0.1/24"))
                    .build();
            b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(sender)
                    .iface(wire.b(), InterfaceConfig.of("b0", TransferScenario.MAC_B).withIpv4("10.77.0.2/24"))
                    .build();
        }
    }

    /** Goodput of a bulk download and what the receiver's buffer did. */
    record Bulk(double secondHalfBytesPerSecond, int receiveCapacity, long storageBytes, long maxStorageBytes) {
    }

    /** Downloads {@code bytes} from B to A; goodput is measured over the second half (after slow start). */
    static Bulk download(long seed, int initialReceive, int maxReceive, long bytes) {
        TcpConfig receiver = TcpConfig.builder().receiveBufferBytes(maxReceive)
                .initialReceiveBufferBytes(initialReceive).build();
        // the sender's buffer is never the limit: it follows its congestion window up to 8 MiB
        TcpConfig sender = TcpConfig.builder().sendBufferBytes(8 << 20).build();
        Path p = new Path(seed, receiver, sender);
        p.b.listen(PORT, l -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                StreamEndpoint.server().attach(c);
            }
        });
        StreamEndpoint client = StreamEndpoint.client(0, 0, bytes);
        client.connection = p.a.connect(TransferScenario.B4, PORT, client);
        long[] maxStorage = {0};
        Runnable watch = () -> maxStorage[0] = Math.max(maxStorage[0], client.connection.bufferBytesAllocated());
        assertTrue(p.sim.runUntil(() -> {
            watch.run();
            return client.received >= bytes / 2;
        }, 600 * S), "first half arrived");
        long halfNs = p.sim.nowNs();
        assertTrue(p.sim.runUntil(() -> {
            watch.run();
            return client.received >= bytes;
        }, 600 * S), "second half arrived");
        long endNs = p.sim.nowNs();
        int capacity = client.connection.receiveBufferCapacity();
        long storage = client.connection.bufferBytesAllocated();
        assertTrue(p.sim.runUntil(() -> client.closed != null, p.sim.nowNs() + 10 * S), "closed");
        assertTrue(client.complete(), "every byte arrived in order: " + client);
        assertEquals(CloseReason.NORMAL, client.closed);
        double goodput = (bytes - bytes / 2) * 1e9 / (endNs - halfNs);
        return new Bulk(goodput, capacity, storage, maxStorage[0]);
    }

    @Test
    void bulkDownloadGrowsTheWindowToWhatThePathNeeds() {
        long bytes = 16L << 20;
        double link = LINK_BITS_PER_SECOND / 8.0;
        Bulk tuned = download(11, 64 << 10, 4 << 20, bytes);
        Bulk fixed = download(11, 64 << 10, 64 << 10, bytes);
        System.out.printf("long fat path (100 Mbit/s, 40 ms RTT): autotuned 64 KiB..4 MiB %.1f MB/s (%.0f%% of the"
                        + " link, buffer grew to %d B, storage at most %d B); fixed 64 KiB %.1f MB/s%n",
                tuned.secondHalfBytesPerSecond / 1e6, 100 * tuned.secondHalfBytesPerSecond / link,
                tuned.receiveCapacity, tuned.maxStorageBytes, fixed.secondHalfBytesPerSecond / 1e6);
        // 64 KiB per 40 ms round trip is 1.6 MB/s; the path carries 12.5 MB/s
        assertTrue(fixed.secondHalfBytesPerSecond < 0.2 * link, "a fixed 64 KiB window limits: " + fixed);
        assertTrue(tuned.secondHalfBytesPerSecond > 0.85 * link, "autotuning fills the path: " + tuned);
        assertTrue(tuned.receiveCapacity > 500_000, "the buffer grew past the path's BDP: " + tuned);
        assertTrue(tuned.receiveCapacity <= 4 << 20, "never beyond the maximum: " + tuned);
        assertTrue(tuned.maxStorageBytes <= (4 << 20) + (16 << 10), "storage within the buffers' maxima: " + tuned);
    }

    @Test
    void bulkDownloadReachesWhatTheMaximumBufferAllows() {
        // a 256 KiB maximum is half the path's BDP: the window, not the link, limits — autotuned from 64 KiB it
        // must get as far as a buffer that had 256 KiB from the start
        long bytes = 8L << 20;
        Bulk tuned = download(12, 64 << 10, 256 << 10, bytes);
        Bulk full = download(12, 256 << 10, 256 << 10, bytes);
        System.out.printf("long fat path, 256 KiB maximum: autotuned from 64 KiB %.2f MB/s, 256 KiB from the start"
                + " %.2f MB/s%n", tuned.secondHalfBytesPerSecond / 1e6, full.secondHalfBytesPerSecond / 1e6);
        assertEquals(256 << 10, tuned.receiveCapacity, "grew to the maximum");
        assertTrue(tuned.secondHalfBytesPerSecond > 0.9 * full.secondHalfBytesPerSecond,
                "autotuned " + tuned + " vs fixed " + full);
    }

    /** Request/response on one connection: the client asks REQUEST bytes, the server answers RESPONSE bytes. */
    static final int REQUEST = 100;
    static final int RESPONSE = 1300;

    static final class Server implements TcpConnection.Listener {
        final byte[] in = new byte[4096];
        final byte[] response = new byte[RESPONSE];
        int pending;

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.read(in, 0, in.length)) > 0) {
                pending += n;
            }
            while (pending >= REQUEST) {
                pending -= REQUEST;
                assertEquals(RESPONSE, c.write(response, 0, RESPONSE), "the response fits the initial buffer");
            }
            if (n < 0) {
                c.close();
            }
        }
    }

    static final class Client implements TcpConnection.Listener {
        final byte[] in = new byte[4096];
        final byte[] request = new byte[REQUEST];
        int received;
        int answered;
        boolean connected;

        @Override
        public void onConnected(TcpConnection c) {
            connected = true;
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.read(in, 0, in.length)) > 0) {
                received += n;
            }
            answered = received / RESPONSE;
        }
    }

    @Test
    void requestResponseConnectionStaysSmallAndHoldsNothingWhenIdle() {
        TcpConfig config = TcpConfig.builder().receiveBufferBytes(4 << 20).sendBufferBytes(4 << 20).build();
        Path p = new Path(13, config, config);
        Server server = new Server();
        p.b.listen(PORT, (TcpListener l) -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                p.accepted.add(c);
                c.listener(server);
            }
        });
        Client client = new Client();
        TcpConnection c = p.a.connect(TransferScenario.B4, PORT, client);
        assertTrue(p.sim.runUntil(() -> client.connected && !p.accepted.isEmpty(), 10 * S), "connected");
        TcpConnection s = p.accepted.getFirst();
        for (int i = 1; i <= 50; i++) {
            assertEquals(REQUEST, c.write(client.request, 0, REQUEST));
            int expected = i;
            assertTrue(p.sim.runUntil(() -> client.answered == expected, p.sim.nowNs() + 10 * S), "answer " + i + ": client " + c
                    + " received " + client.received + ", server " + s + " pending " + server.pending + "; "
                    + p.a.tcp().counter(dev.chimney.tcp.TcpCounter.SEGMENTS_IN) + " in");
            // let the last ACKs and delayed ACKs settle: both sides idle
            p.sim.runFor(200 * MS);
            for (TcpConnection end : List.of(c, s)) {
                assertEquals(0, end.bufferBytesAllocated(), "idle after exchange " + i + ": no storage held " + end);
                assertEquals(config.initialReceiveBufferBytes(), end.receiveBufferCapacity(), "receive buffer " + i);
                assertEquals(config.initialSendBufferBytes(), end.sendBufferCapacity(), "send buffer " + i);
            }
        }
        assertTrue(p.a.tcp().pooledBufferBytes() > 0, "the rings went back to the pool for the next exchange");
        c.close();
        assertTrue(p.sim.runUntil(() -> c.closeReason() != null && s.closeReason() != null, p.sim.nowNs() + 10 * S), "closed");
    }
}
